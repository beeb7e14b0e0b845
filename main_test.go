package main

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
)

// runServeFlags parses args as `hubmirror serve` would, config file
// included, and hands the result to inspect instead of serving.
func runServeFlags(t *testing.T, args []string, inspect func(*cli.Context) error) {
	t.Helper()
	cmd := serveCommand()
	cmd.Action = inspect
	app := &cli.App{Commands: []*cli.Command{cmd}}
	if err := app.Run(append([]string{"hubmirror", "serve"}, args...)); err != nil {
		t.Fatal(err)
	}
}

func TestConfigFileListsUpstreamsAndSetsFlags(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "hub-password")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(`
listen: "127.0.0.1:6000"
tag-ttl: 90s
negative-ttl: 10s
upstreams:
  - host: docker.io
    url: https://registry-1.docker.io
    username: me
    password_file: `+secret+`
  - host: GHCR.io
    url: https://ghcr.io
    allow: ["owner/*"]
`), 0o600)

	runServeFlags(t, []string{"--config", cfg, "--tag-ttl", "2m"}, func(c *cli.Context) error {
		if got := c.String("listen"); got != "127.0.0.1:6000" {
			t.Errorf("listen from file = %q", got)
		}
		if got := c.Duration("negative-ttl"); got != 10*time.Second {
			t.Errorf("negative-ttl from file = %v", got)
		}
		if got := c.Duration("tag-ttl"); got != 2*time.Minute {
			t.Errorf("a flag must win over the file: tag-ttl = %v", got)
		}
		list, err := upstreams(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Password != "s3cret" || list[0].Username != "me" {
			t.Errorf("docker.io entry = %+v", list[0])
		}
		if list[1].Host != "ghcr.io" || len(list[1].Allow) != 1 {
			t.Errorf("ghcr.io entry = %+v", list[1])
		}
		return nil
	})
}

func TestDockerHubIsTheBuiltInDefault(t *testing.T) {
	runServeFlags(t, nil, func(c *cli.Context) error {
		list, err := upstreams(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Host != "docker.io" || list[0].URL != "https://registry-1.docker.io" {
			t.Errorf("default upstreams = %+v", list)
		}
		if c.String("listen") != ":5000" {
			t.Errorf("default listen = %q", c.String("listen"))
		}
		return nil
	})
}

func TestUpstreamFlagOverridesTheFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("upstreams:\n  - host: docker.io\n    url: https://hub.example\n"), 0o600)
	runServeFlags(t, []string{"--config", cfg, "--upstream", "http://127.0.0.1:9999"}, func(c *cli.Context) error {
		list, _ := upstreams(c)
		if list[0].URL != "http://127.0.0.1:9999" {
			t.Errorf("url = %q, want the flag's", list[0].URL)
		}
		return nil
	})
}

// The serve flags reach the store: the cap, and --pin and --pin-file
// images surviving an eviction to nothing while an unpinned one goes.
func TestServeCacheFlags(t *testing.T) {
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pins")
	os.WriteFile(pinFile, []byte("# team images\nghcr.io/org/app:v1\n"), 0o644)
	var got *cache.Store
	cmd := serveCommand()
	cmd.Action = func(c *cli.Context) error {
		s, err := openStore(c, nil)
		got = s
		return err
	}
	app := &cli.App{Name: "hubmirror", Commands: []*cli.Command{cmd}}
	err := app.Run([]string{"hubmirror", "serve", "--data-dir", filepath.Join(dir, "data"), "--cache-max-size", "1.5GiB", "--pin", "alpine:3.20", "--pin-file", pinFile})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.MaxSize() != 1536<<20 {
		t.Errorf("cap = %d", got.MaxSize())
	}
	assertPinsKept(t, got)
	for _, bad := range [][]string{{"--cache-max-size", "lots"}, {"--pin", "Not/Valid"}, {"--pin-file", filepath.Join(dir, "absent")}} {
		args := append([]string{"hubmirror", "serve", "--data-dir", filepath.Join(dir, "other")}, bad...)
		if err := app.Run(args); err == nil {
			t.Errorf("%v accepted", bad)
			got.Close()
		}
	}
}

// assertPinsKept stores alpine:3.20 (pinned by --pin), ghcr.io/org/app:v1
// (pinned by --pin-file) and an unpinned image, evicts down to 0, and
// checks that exactly the pinned images' blobs are left.
func assertPinsKept(t *testing.T, s *cache.Store) {
	t.Helper()
	alpine, app, other := cachetest.NewImage("alpine", 2, 1000), cachetest.NewImage("app", 2, 1000), cachetest.NewImage("other", 2, 1000)
	alpine.Store(t, s, "docker.io", "library/alpine", "3.20")
	app.Store(t, s, "ghcr.io", "org/app", "v1")
	other.Store(t, s, "docker.io", "library/other", "1")
	if _, err := s.EvictTo(0); err != nil {
		t.Fatal(err)
	}
	for _, b := range slices.Concat(alpine.All(), app.All()) {
		if !cachetest.PresentNoTouch(s, b) {
			t.Errorf("pinned blob %s was evicted", b.Digest)
		}
	}
	for _, b := range other.All() {
		if cachetest.PresentNoTouch(s, b) {
			t.Errorf("unpinned blob %s survived an eviction to 0", b.Digest)
		}
	}
}

// runCache runs `hubmirror cache ARGS...` in process and returns its
// output and error.
func runCache(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	app := &cli.App{Name: "hubmirror", Commands: []*cli.Command{cacheCommand()}, Writer: &out, ErrWriter: &errOut}
	err := app.Run(append([]string{"hubmirror", "cache"}, args...))
	return out.String() + errOut.String(), err
}

// seededDataDir holds one tagged image, closed again.
func seededDataDir(t *testing.T) (string, cachetest.Image) {
	t.Helper()
	dir := t.TempDir()
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	img := cachetest.NewImage("cli", 2, 2000)
	img.Store(t, s, "docker.io", "library/cli", "1.0")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, img
}

func TestCacheLs(t *testing.T) {
	dir, img := seededDataDir(t)
	out, err := runCache(t, "ls", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"docker.io/library/cli:1.0", img.Index.Digest.String(), img.Layers[1].Digest.String(), "application/vnd.oci.image.index.v1+json"} {
		if !strings.Contains(out, want) {
			t.Errorf("ls output lacks %q:\n%s", want, out)
		}
	}
	out, err = runCache(t, "ls", "--json", "--data-dir", dir)
	var doc struct {
		Tags []struct {
			Image, Digest string
			Size          int64
		}
		Blobs []struct {
			Digest string
			Size   int64
		}
	}
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("ls --json: %v\n%s", err, out)
	}
	if len(doc.Tags) != 1 || doc.Tags[0].Image != "docker.io/library/cli:1.0" || doc.Tags[0].Size != int64(len(img.Index.Body)) || len(doc.Blobs) != 5 {
		t.Errorf("ls --json = %+v", doc)
	}
}

func TestCacheStatsAndPrune(t *testing.T) {
	dir, img := seededDataDir(t)
	out, err := runCache(t, "stats", "--json", "--data-dir", dir)
	var st cache.Stats
	if err != nil || json.Unmarshal([]byte(out), &st) != nil || st.Entries != 5 || st.Tags != 1 || st.Repos != 1 {
		t.Fatalf("stats: %v, %+v\n%s", err, st, out)
	}
	if out, err := runCache(t, "prune", "--max-size", "0", "--pin", "cli:1.0", "--data-dir", dir); err != nil {
		t.Fatalf("prune with everything pinned: %v\n%s", err, out)
	}
	out, _ = runCache(t, "stats", "--data-dir", dir)
	if !strings.Contains(out, "blobs:        5") {
		t.Errorf("pinned content was pruned:\n%s", out)
	}
	out, err = runCache(t, "prune", "--max-size", "4KiB", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "evicted") {
		t.Fatalf("prune: %v\n%s", err, out)
	}
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.Used() > 4<<10 || !cachetest.PresentNoTouch(s, img.Index) {
		t.Errorf("after prune: %d bytes; the most recent put (the index) must stay", s.Used())
	}
}

func TestCacheVerifyReportsCorruption(t *testing.T) {
	dir, img := seededDataDir(t)
	if out, err := runCache(t, "verify", "--data-dir", dir); err != nil {
		t.Fatalf("verify of a sound cache: %v\n%s", err, out)
	}
	layer := img.Layers[0].Digest
	os.WriteFile(cache.BlobPath(dir, layer), []byte("bit rot"), 0o644)
	out, err := runCache(t, "verify", "--data-dir", dir)
	if err == nil || !strings.Contains(out, "removed "+layer.String()) || !strings.Contains(out, "1 corrupt") {
		t.Fatalf("verify = %v\n%s", err, out)
	}
	if out, err := runCache(t, "verify", "--data-dir", dir); err != nil {
		t.Errorf("second verify: %v\n%s", err, out)
	}
}

func TestCacheCommandsRefuseADataDirInUse(t *testing.T) {
	dir, _ := seededDataDir(t)
	s, err := cache.OpenWithOptions(dir, cache.Options{}) // the running server
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, cmd := range []string{"ls", "stats", "verify"} {
		_, err := runCache(t, cmd, "--data-dir", dir)
		if err == nil || !strings.Contains(err.Error(), "in use by a running hubmirror (stop it first)") {
			t.Errorf("%s: %v", cmd, err)
		}
	}
	if _, err := runCache(t, "ls", "--data-dir", filepath.Join(dir, "absent")); err == nil {
		t.Error("ls of a missing data dir must fail, not create one")
	}
}

// The real binary's exit status: the test binary runs main() with the
// arguments in HUBMIRROR_TEST_MAIN_ARGS.
func TestCacheCommandExitStatus(t *testing.T) {
	dir, img := seededDataDir(t)
	layer := img.Layers[1].Digest
	os.Truncate(cache.BlobPath(dir, layer), 1)
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	code, out := runMain(t, "cache", "verify", "--data-dir", dir)
	if code == 0 || !strings.Contains(out, "in use by a running hubmirror") {
		t.Errorf("verify while in use: exit %d\n%s", code, out)
	}
	s.Close()
	if code, out := runMain(t, "cache", "verify", "--data-dir", dir); code == 0 || !strings.Contains(out, "1 corrupt") {
		t.Errorf("verify of a corrupt cache: exit %d\n%s", code, out)
	}
	if code, out := runMain(t, "cache", "verify", "--data-dir", dir); code != 0 {
		t.Errorf("verify after repair: exit %d\n%s", code, out)
	}
}

func TestMainHelper(t *testing.T) {
	args := os.Getenv("HUBMIRROR_TEST_MAIN_ARGS")
	if args == "" {
		t.Skip("runs main() for TestCacheCommandExitStatus")
	}
	os.Args = append([]string{"hubmirror"}, strings.Split(args, "\n")...)
	main()
	os.Exit(0)
}

func runMain(t *testing.T, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestMainHelper$")
	cmd.Env = append(os.Environ(), "HUBMIRROR_TEST_MAIN_ARGS="+strings.Join(args, "\n"))
	out, err := cmd.CombinedOutput()
	if exit, ok := err.(*exec.ExitError); ok {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// runPrefetchCommand runs `hubmirror prefetch ARGS...` in process, with
// stdin as its standard input, and returns its output and error.
func runPrefetchCommand(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	app := &cli.App{Commands: []*cli.Command{prefetchCommand()}, Reader: strings.NewReader(stdin), Writer: &out, ErrWriter: &out}
	err := app.Run(append([]string{"hubmirror", "prefetch"}, args...))
	return out.String(), err
}

func TestPrefetchCommandRejectsBadSettings(t *testing.T) {
	for _, args := range [][]string{
		{"--mirror", "127.0.0.1:5000", "alpine"},       // no scheme
		{"--mirror", "http://host:5000/sub", "alpine"}, // a registry lives at the root
		{"--platform", "linux/", "alpine"},
		{},
	} {
		if out, err := runPrefetchCommand(t, "", args...); err == nil {
			t.Errorf("prefetch %q succeeded:\n%s", args, out)
		}
	}
}

// The command hands its arguments, --mirror, --from-file (here stdin) and
// its writer to the prefetch package: a registry that knows no image sees
// each one asked for, in order, by the prefetch user agent.
func TestPrefetchCommandPassesItsFlags(t *testing.T) {
	var mu sync.Mutex
	var asked, agents []string
	reg := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2/" {
			return
		}
		mu.Lock()
		asked, agents = append(asked, r.URL.Path), append(agents, r.UserAgent())
		mu.Unlock()
		http.NotFound(w, r)
	}))
	defer reg.Close()

	out, err := runPrefetchCommand(t, "alpine:3.20 # from stdin\n", "--mirror", reg.URL, "--from-file", "-", "busybox")
	if err == nil || !strings.Contains(out, "busybox: FAILED") || !strings.Contains(out, "alpine:3.20: FAILED") {
		t.Errorf("err %v, output %q; want both images reported failed", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []string{"/v2/library/busybox/manifests/latest", "/v2/library/alpine/manifests/3.20"}
	if !slices.Equal(slices.Compact(asked), want) {
		t.Errorf("registry was asked for %q, want %q", asked, want)
	}
	for _, ua := range agents {
		if !strings.HasPrefix(ua, "hubmirror-prefetch/") {
			t.Errorf("user agent %q", ua)
		}
	}
}

// hostedDataDir holds a mirrored image and a pushed blob in team/app.
func hostedDataDir(t *testing.T) (string, cachetest.Blob) {
	t.Helper()
	dir, _ := seededDataDir(t)
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pushed := cachetest.NewBlob("pushed layer", 3000)
	u, err := s.NewUpload()
	if err == nil {
		_, err = u.Write(pushed.Body)
	}
	if err == nil {
		err = u.Commit("team/app", pushed.Digest)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, pushed
}

// cache ls, stats and verify show hosted content; prune never removes it.
func TestCacheCommandsKeepHostedContent(t *testing.T) {
	dir, pushed := hostedDataDir(t)
	out, err := runCache(t, "ls", "--json", "--data-dir", dir)
	var doc struct {
		Blobs []struct {
			Digest string
			Hosted bool
		}
		Hosted []cache.HostedUsage
	}
	if err != nil || json.Unmarshal([]byte(out), &doc) != nil {
		t.Fatalf("ls --json: %v\n%s", err, out)
	}
	if len(doc.Hosted) != 1 || doc.Hosted[0].Repo != "team/app" || doc.Hosted[0].Bytes != 3000 {
		t.Errorf("ls --json hosted = %+v", doc.Hosted)
	}
	for _, b := range doc.Blobs {
		if b.Hosted != (b.Digest == pushed.Digest.String()) {
			t.Errorf("blob %s marked hosted=%v", b.Digest, b.Hosted)
		}
	}
	if out, err := runCache(t, "stats", "--data-dir", dir); err != nil || !strings.Contains(out, "hosted:       2.9 KiB (3000) in 1 repositories") {
		t.Errorf("stats: %v\n%s", err, out)
	}
	if out, err := runCache(t, "verify", "--data-dir", dir); err != nil || !strings.Contains(out, "2.9 KiB of them hosted") {
		t.Errorf("verify: %v\n%s", err, out)
	}
	if out, err := runCache(t, "prune", "--max-size", "0", "--data-dir", dir); err != nil || !strings.Contains(out, "1 blobs (2.9 KiB) remain") {
		t.Errorf("prune to 0: %v\n%s", err, out)
	}
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if f, _, err := s.HostedBlob("team/app", pushed.Digest); err != nil {
		t.Errorf("hosted blob pruned: %v", err)
	} else {
		f.Close()
	}
}

// --hosted and its bounds come from flags, HUBMIRROR_HOSTED (comma-
// separated) and the config file's hosted: list.
func TestHostedFlags(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("hosted: [\"team/*\", \"infra/*/*\"]\nhosted-max-size: 1GiB\n"), 0o600)
	check := func(args []string, want []string, quota int64) {
		t.Helper()
		runServeFlags(t, args, func(c *cli.Context) error {
			o, err := hostedOptions(c)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(o.Hosted, want) || o.HostedMaxSize != quota || o.MaxUploads != mirror.DefaultMaxUploads ||
				o.MaxUploadSize != mirror.DefaultMaxUploadSize || o.UploadIdle != mirror.DefaultUploadIdle {
				t.Errorf("%v: %+v", args, o)
			}
			return nil
		})
	}
	check([]string{"--config", cfg}, []string{"team/*", "infra/*/*"}, 1<<30)
	check([]string{"--hosted", "a/*", "--hosted", "b/*"}, []string{"a/*", "b/*"}, 0)
	t.Setenv("HUBMIRROR_HOSTED", "team/*,ops/*")
	check(nil, []string{"team/*", "ops/*"}, 0)
}

// --anonymous-pull comes from the flag, HUBMIRROR_ANONYMOUS_PULL and the
// config file, and is refused without --htpasswd, where it would mean
// nothing: everything is open already.
func TestAnonymousPullFlag(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("anonymous-pull: true\n"), 0o600)
	for _, args := range [][]string{{"--anonymous-pull"}, {"--config", cfg}} {
		runServeFlags(t, args, func(c *cli.Context) error {
			if !c.Bool("anonymous-pull") {
				t.Errorf("%v: anonymous-pull not set", args)
			}
			_, err := newMirror(c, nil, metrics.Discard(), slog.New(slog.DiscardHandler), nil)
			if err == nil || !strings.Contains(err.Error(), "--htpasswd") {
				t.Errorf("%v without --htpasswd: %v, want a refusal naming --htpasswd", args, err)
			}
			return nil
		})
	}
	t.Setenv("HUBMIRROR_ANONYMOUS_PULL", "true")
	runServeFlags(t, nil, func(c *cli.Context) error {
		if !c.Bool("anonymous-pull") {
			t.Error("HUBMIRROR_ANONYMOUS_PULL=true: anonymous-pull not set")
		}
		return nil
	})
}

// --token-key-file comes from the flag, its env var and the config file;
// it needs --anonymous-pull, and a short or unreadable file stops the
// start with the file named.
func TestTokenKeyFileFlag(t *testing.T) {
	dir := t.TempDir()
	good, short := filepath.Join(dir, "key"), filepath.Join(dir, "short")
	os.WriteFile(good, []byte(strings.Repeat("k", mirror.MinTokenKeySize)), 0o600)
	os.WriteFile(short, []byte("kkkk"), 0o600)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte("anonymous-pull: true\ntoken-key-file: "+good+"\n"), 0o600)
	check := func(args []string, want string) {
		t.Helper()
		runServeFlags(t, args, func(c *cli.Context) error {
			key, err := tokenKey(c)
			switch {
			case want == "" && (err != nil || len(key) != mirror.MinTokenKeySize):
				t.Errorf("%v: %d-byte key, %v", args, len(key), err)
			case want != "" && (err == nil || !strings.Contains(err.Error(), want)):
				t.Errorf("%v: %v, want an error naming %q", args, err, want)
			}
			return nil
		})
	}
	check([]string{"--anonymous-pull", "--token-key-file", good}, "")
	check([]string{"--config", cfg}, "")
	check([]string{"--anonymous-pull", "--token-key-file", short}, short)
	check([]string{"--anonymous-pull", "--token-key-file", filepath.Join(dir, "missing")}, "missing")
	check([]string{"--token-key-file", good}, "--anonymous-pull")
	t.Setenv("HUBMIRROR_TOKEN_KEY_FILE", good)
	check([]string{"--anonymous-pull"}, "")
}

// The fill flags build a mirror; sizes are parsed like --cache-max-size;
// the deprecated --fill-timeout is still accepted (deploy files and
// scripts may pass it), only ignored.
func TestServeFillFlags(t *testing.T) {
	build := func(args ...string) error {
		var err error
		runServeFlags(t, append([]string{"--data-dir", filepath.Join(t.TempDir(), "data")}, args...), func(c *cli.Context) error {
			store, serr := openStore(c, nil)
			if serr != nil {
				return serr
			}
			defer store.Close()
			_, err = newMirror(c, store, metrics.Discard(), slog.New(slog.DiscardHandler), nil)
			return nil
		})
		return err
	}
	if err := build("--fill-parallelism", "8", "--fill-piece-size", "8MiB", "--fill-piece-threshold", "64MiB",
		"--fill-idle-timeout", "10m", "--fill-timeout", "1h", "--cache-partial-max-age", "1h"); err != nil {
		t.Fatalf("fill flags: %v", err)
	}
	for _, bad := range [][]string{{"--fill-piece-size", "lots"}, {"--fill-piece-threshold", "-1"}} {
		if err := build(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}

// The balancer settings come from the config file like any flag, and the
// drain has a default that outlasts HAProxy's two failed checks.
func TestBalancerSettingsFromTheConfigFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("trusted-proxy: [\"10.0.0.0/8\", \"192.0.2.1\"]\nshutdown-delay: 5s\n"), 0o600)
	runServeFlags(t, []string{"--config", cfg}, func(c *cli.Context) error {
		if got := c.StringSlice("trusted-proxy"); !slices.Equal(got, []string{"10.0.0.0/8", "192.0.2.1"}) {
			t.Errorf("trusted-proxy from file = %q", got)
		}
		if got := c.Duration("shutdown-delay"); got != 5*time.Second {
			t.Errorf("shutdown-delay from file = %v", got)
		}
		return nil
	})
	runServeFlags(t, nil, func(c *cli.Context) error {
		if got := c.Duration("shutdown-delay"); got != defaultShutdownDelay || got < 2*time.Second {
			t.Errorf("default shutdown-delay = %v, want %v (more than HAProxy's fall 2 at inter 1s)", got, defaultShutdownDelay)
		}
		return nil
	})
}
