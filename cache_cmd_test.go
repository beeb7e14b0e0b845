package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
)

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
	os.WriteFile(filepath.Join(dir, "blobs", "sha256", layer.Hex[:2], layer.Hex), []byte("bit rot"), 0o644)
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
	os.Truncate(filepath.Join(dir, "blobs", "sha256", layer.Hex[:2], layer.Hex), 1)
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

// The serve flags reach the store: cap, --pin and --pin-file.
func TestServeCacheFlags(t *testing.T) {
	dir := t.TempDir()
	pinFile := filepath.Join(dir, "pins")
	os.WriteFile(pinFile, []byte("# team images\nghcr.io/org/app:v1\n"), 0o644)
	var got *cache.Store
	app := &cli.App{Name: "hubmirror", Commands: []*cli.Command{{
		Name: "serve", Flags: cacheFlags(),
		Action: func(c *cli.Context) error {
			s, err := openStore(c, nil)
			got = s
			return err
		},
	}}}
	err := app.Run([]string{"hubmirror", "serve", "--data-dir", filepath.Join(dir, "data"), "--cache-max-size", "1.5GiB", "--pin", "alpine:3.20", "--pin-file", pinFile})
	if err != nil {
		t.Fatal(err)
	}
	defer got.Close()
	if got.MaxSize() != 1536<<20 {
		t.Errorf("cap = %d", got.MaxSize())
	}
	for _, bad := range [][]string{{"--cache-max-size", "lots"}, {"--pin", "Not/Valid"}, {"--pin-file", filepath.Join(dir, "absent")}} {
		args := append([]string{"hubmirror", "serve", "--data-dir", filepath.Join(dir, "other")}, bad...)
		if err := app.Run(args); err == nil {
			t.Errorf("%v accepted", bad)
			got.Close()
		}
	}
}
