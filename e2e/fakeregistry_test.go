package e2e

import (
	"context"
	"log"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// fakeRegistry is go-containerregistry's in-memory registry on a real
// 127.0.0.1 listener. It counts manifest reads so a test can prove that a
// client really reached it rather than some other registry.
type fakeRegistry struct {
	srv           *httptest.Server
	manifestReads atomic.Int64
}

// newFakeRegistry starts the registry and closes it when the test ends.
func newFakeRegistry(t *testing.T) *fakeRegistry {
	t.Helper()
	r := &fakeRegistry{}
	inner := registry.New(registry.Logger(log.New(testWriter{t}, "fake registry: ", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if isManifestRead(req) {
			r.manifestReads.Add(1)
		}
		inner.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// URL is the registry's base URL, "http://127.0.0.1:PORT".
func (r *fakeRegistry) URL() string { return r.srv.URL }

// Host is the registry's "127.0.0.1:PORT", as used in image references.
func (r *fakeRegistry) Host() string { return strings.TrimPrefix(r.srv.URL, "http://") }

// ManifestReads is how many GET or HEAD requests for a manifest arrived.
func (r *fakeRegistry) ManifestReads() int64 { return r.manifestReads.Load() }

// isManifestRead matches GET/HEAD /v2/<name>/manifests/<reference>.
func isManifestRead(req *http.Request) bool {
	return (req.Method == http.MethodGet || req.Method == http.MethodHead) &&
		strings.HasPrefix(req.URL.Path, "/v2/") && strings.Contains(req.URL.Path, "/manifests/")
}

// pushRandom pushes a small random linux image for this machine's
// architecture as repoTag (e.g. "library/alpine:latest") and returns it.
func (r *fakeRegistry) pushRandom(t *testing.T, repoTag string) v1.Image {
	t.Helper()
	img := randomImage(t)
	ref, err := name.ParseReference(r.Host()+"/"+repoTag, name.Insecure)
	if err != nil {
		t.Fatalf("parse %s: %v", repoTag, err)
	}
	if err := remote.Write(ref, img, remote.WithContext(context.Background())); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
	return img
}

// randomImage is two 1 KiB random layers with a real platform in its config:
// random.Image leaves os/architecture empty, which docker would have to
// guess about.
func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatalf("random image: %v", err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatalf("random image config: %v", err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", runtime.GOARCH
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatalf("set image platform: %v", err)
	}
	return img
}

// digestOf is the image's manifest digest.
func digestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.Digest()
	if err != nil {
		t.Fatalf("image digest: %v", err)
	}
	return h
}

// configDigestOf is the image's config digest, which docker uses as image ID.
func configDigestOf(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	h, err := img.ConfigName()
	if err != nil {
		t.Fatalf("image config digest: %v", err)
	}
	return h
}

// layerDigests lists the image's compressed layer digests, in order.
func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	m, err := img.Manifest()
	if err != nil {
		t.Fatalf("image manifest: %v", err)
	}
	var ds []v1.Hash
	for _, l := range m.Layers {
		ds = append(ds, l.Digest)
	}
	return ds
}

// testWriter sends a logger's lines to the test log, where they show only
// for failing or -v runs.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
