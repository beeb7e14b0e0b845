package prefetch

import (
	"bytes"
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// startTestMirror runs a real mirror (cache on a temp dir, upstream client)
// on loopback in front of hubs, keyed by the registry name clients use.
func startTestMirror(t *testing.T, hubs map[string]*upstreamtest.Hub) string {
	t.Helper()
	store, err := cache.OpenWithOptions(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var regs []mirror.Registry
	for host, hub := range hubs {
		up, err := upstream.New(upstream.Options{URL: hub.URL, UserAgent: "hubmirror-test"})
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, mirror.Registry{Host: host, Upstream: up})
	}
	m, err := mirror.New(mirror.Options{Store: store, Registries: regs, TagTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(func() { srv.Close(); store.Close() })
	return srv.URL
}

// runPrefetch runs a prefetch as `hubmirror prefetch` does and returns
// its output.
func runPrefetch(t *testing.T, o Options) (string, error) {
	t.Helper()
	var out bytes.Buffer
	o.Out = &out
	if o.Jobs == 0 {
		o.Jobs = 4
	}
	o.UserAgent = "hubmirror-prefetch-test"
	err := Run(context.Background(), o)
	return out.String(), err
}

// A prefetch of every standard image, multi-platform included, fetches
// each of their blobs from upstream exactly once; a second prefetch finds
// everything cached and costs upstream nothing.
func TestPrefetchWarmsEveryBlobOnce(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seeded := hub.MustSeedStandard(t)
	m := startTestMirror(t, map[string]*upstreamtest.Hub{"docker.io": hub})
	hub.Reset()
	images := []string{"alpine", "busybox:latest", "someuser/app:v1", "docker.io/library/ocitest:1"}

	out, err := runPrefetch(t, Options{Mirror: m, Images: images})
	if err != nil {
		t.Fatalf("prefetch: %v\n%s", err, out)
	}
	blobs := 0
	for _, s := range seeded {
		for _, b := range s.Blobs {
			blobs++
			if n := hub.BlobGetsFor(b); n != 1 {
				t.Errorf("%s: blob %s fetched from upstream %d times, want 1", s.Ref, b, n)
			}
			if !strings.Contains(out, b.String()) {
				t.Errorf("output names no line for blob %s of %s", b, s.Ref)
			}
		}
	}
	t.Logf("first prefetch of %d images (%d blobs):\n%s", len(images), blobs, out)

	hub.Reset()
	out, err = runPrefetch(t, Options{Mirror: m, Images: images})
	if err != nil {
		t.Fatalf("second prefetch: %v\n%s", err, out)
	}
	if c := hub.Counts(); c.BlobGets != 0 || c.CDNGets != 0 || c.ManifestGets != 0 {
		t.Errorf("second prefetch reached upstream: %+v", c)
	}
}

// --platform fetches one platform of a multi-platform image and nothing of
// the others.
func TestPrefetchOnePlatform(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	busybox := hub.MustSeedStandard(t)["library/busybox"]
	m := startTestMirror(t, map[string]*upstreamtest.Hub{"docker.io": hub})
	arm := platformBlobs(t, hub, "library/busybox", busybox.Children, v1.Platform{OS: "linux", Architecture: "arm64"})
	amd := platformBlobs(t, hub, "library/busybox", busybox.Children, v1.Platform{OS: "linux", Architecture: "amd64"})
	hub.Reset()

	if out, err := runPrefetch(t, Options{Mirror: m, Platform: "linux/arm64", Images: []string{"busybox"}}); err != nil {
		t.Fatalf("prefetch: %v\n%s", err, out)
	}
	for _, b := range arm {
		if n := hub.BlobGetsFor(b); n != 1 {
			t.Errorf("arm64 blob %s fetched %d times, want 1", b, n)
		}
	}
	for _, b := range amd {
		if n := hub.BlobGetsFor(b); n != 0 {
			t.Errorf("amd64 blob %s fetched %d times, want 0 with --platform linux/arm64", b, n)
		}
	}
}

// platformBlobs reads, from the hub itself, the config and layers of the
// child manifest for platform.
func platformBlobs(t *testing.T, hub *upstreamtest.Hub, repo string, children []v1.Hash, platform v1.Platform) []v1.Hash {
	t.Helper()
	for _, c := range children {
		ref, err := name.NewDigest(hub.Host()+"/"+repo+"@"+c.String(), name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref)
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if !cf.Platform().Satisfies(platform) {
			continue
		}
		return imageBlobs(t, img)
	}
	t.Fatalf("%s has no %s image", repo, platform)
	return nil
}

// A list file with comments names images of Docker Hub and of another
// registry; each comes from its own upstream through the mirror's path
// prefix, and a missing image fails the run without stopping the others.
func TestPrefetchFromFileAcrossRegistries(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	ghcr := upstreamtest.New(t, upstreamtest.Options{})
	alpine := hub.MustSeedStandard(t)["library/alpine"]
	img, err := upstreamtest.Image(2, 4<<10, true)
	if err != nil {
		t.Fatal(err)
	}
	ghcr.AddImage("owner/tool", "1.0", img)
	toolBlobs := imageBlobs(t, img)
	m := startTestMirror(t, map[string]*upstreamtest.Hub{"docker.io": hub, "ghcr.io": ghcr})
	list := filepath.Join(t.TempDir(), "images.txt")
	os.WriteFile(list, []byte("# warmed every night\nghcr.io/owner/tool:1.0   # the CI tool\n\n  alpine\nnobody/missing:1\n"), 0o644)
	hub.Reset()

	out, err := runPrefetch(t, Options{Mirror: m, FromFile: list})
	if err == nil || !strings.Contains(out, "nobody/missing:1: FAILED") {
		t.Errorf("a missing image: err %v, output %q; want an error naming it", err, out)
	}
	for _, b := range toolBlobs {
		if n := ghcr.BlobGetsFor(b); n != 1 {
			t.Errorf("ghcr.io blob %s fetched %d times, want 1", b, n)
		}
	}
	for _, b := range alpine.Blobs {
		if n := hub.BlobGetsFor(b); n != 1 {
			t.Errorf("alpine blob %s fetched %d times, want 1", b, n)
		}
	}
}

func imageBlobs(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	mf, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	out := []v1.Hash{mf.Config.Digest}
	for _, l := range mf.Layers {
		out = append(out, l.Digest)
	}
	return out
}

// References are read as docker reads them and land on the mirror's path
// for their registry.
func TestMirrorRef(t *testing.T) {
	p, err := newPrefetcher(Options{Mirror: "http://127.0.0.1:5000"})
	if err != nil {
		t.Fatal(err)
	}
	digest := "sha256:" + strings.Repeat("ab", 32)
	for in, want := range map[string]string{
		"alpine":                          "127.0.0.1:5000/library/alpine:latest",
		"alpine:3.20":                     "127.0.0.1:5000/library/alpine:3.20",
		"docker.io/library/alpine:3.20":   "127.0.0.1:5000/library/alpine:3.20",
		"index.docker.io/someuser/app:v1": "127.0.0.1:5000/someuser/app:v1",
		"someuser/app@" + digest:          "127.0.0.1:5000/someuser/app@" + digest,
		"ghcr.io/owner/tool:1.0":          "127.0.0.1:5000/ghcr.io/owner/tool:1.0",
		"quay.io/org/sub/img":             "127.0.0.1:5000/quay.io/org/sub/img:latest",
	} {
		got, err := p.mirrorRef(in)
		if err != nil || got.String() != want {
			t.Errorf("mirrorRef(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"Alpine", "alpine@sha256:xyz", ""} {
		if got, err := p.mirrorRef(bad); err == nil {
			t.Errorf("mirrorRef(%q) = %v, want an error", bad, got)
		}
	}
}

func TestPrefetchRejectsBadSettings(t *testing.T) {
	alpine := []string{"alpine"}
	for _, o := range []Options{
		{Mirror: "127.0.0.1:5000", Images: alpine},       // no scheme
		{Mirror: "http://host:5000/sub", Images: alpine}, // a registry lives at the root
		{Mirror: "http://localhost:5000", Platform: "linux/", Images: alpine},
		{Mirror: "http://localhost:5000"},
	} {
		if out, err := runPrefetch(t, o); err == nil {
			t.Errorf("prefetch %+v succeeded:\n%s", o, out)
		}
	}
}

func TestParseRefList(t *testing.T) {
	got, err := parseRefList(strings.NewReader("# images\nalpine:3.20\n\n  busybox # shell\r\n#ghcr.io/x/y\nghcr.io/o/t:1\n"))
	want := []string{"alpine:3.20", "busybox", "ghcr.io/o/t:1"}
	if err != nil || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("parseRefList = %q, %v; want %q", got, err, want)
	}
}

// The bar fills with the bytes read and never runs past full, even when
// manifests understate sizes.
func TestProgressBar(t *testing.T) {
	for _, c := range []struct {
		done, total int64
		want        string
	}{
		{0, 100, "[>         ]   0%"},
		{50, 100, "[=====>    ]  50%"},
		{100, 100, "[==========] 100%"},
		{150, 100, "[==========] 100%"},
		{0, 0, "[==========] 100%"},
	} {
		if got := progressBar(c.done, c.total, 10); got != c.want {
			t.Errorf("progressBar(%d, %d) = %q, want %q", c.done, c.total, got, c.want)
		}
	}
}

// On a terminal the bar is redrawn in place and ends on a full line.
func TestBarReporterRedrawsInPlace(t *testing.T) {
	var out bytes.Buffer
	r := &barReporter{w: &out}
	plan := &imagePlan{ref: "alpine", platforms: 1, bytes: 2048}
	d, err := name.NewDigest("x/y@sha256:" + strings.Repeat("0", 64))
	if err != nil {
		t.Fatal(err)
	}
	b := blobRef{plan: plan, digest: d, size: 2048}
	plan.blobs = []blobRef{b}
	r.planned(plan)
	r.queued(b)
	r.read(2048)
	r.fetched(b, time.Millisecond, nil)
	r.finish()
	s := out.String()
	if !strings.Contains(s, "alpine: 1 platform(s), 1 blobs, 2.0 KiB\n") {
		t.Errorf("image line missing from %q", s)
	}
	last := s[strings.LastIndex(s, "\r")+1:]
	if !strings.Contains(last, "100%") || !strings.Contains(last, "1/1 blobs, 2.0 KiB") || !strings.HasSuffix(last, "\n") {
		t.Errorf("final bar %q, want 100%% with 1/1 blobs ending the line", last)
	}
}
