package e2e

import (
	"path/filepath"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// These tests check the harness itself, with go-containerregistry's
// in-memory registry standing in for hubmirror. When one fails, suspect the
// machine (dockerd, skopeo, root, kernel) before suspecting hubmirror.

// TestHarnessDockerdUsesMirror proves that a pull of docker.io/library/alpine
// really goes to the configured mirror: dockerd falls back to Docker Hub
// silently, so a passing pull alone proves nothing.
func TestHarnessDockerdUsesMirror(t *testing.T) {
	requireDockerd(t)
	t.Parallel()
	reg := newFakeRegistry(t)
	img := reg.pushRandom(t, "library/alpine:latest")
	d := startDockerd(t, reg.URL())

	before := reg.ManifestReads()
	if out, err := d.Pull(t, "alpine:latest"); err != nil {
		t.Fatalf("pull through mirror: %v\n%s", err, out)
	}
	if reg.ManifestReads() == before {
		t.Fatal("pull succeeded but the mirror saw no manifest request")
	}
	assertPulled(t, d, "alpine:latest", digestOf(t, img), configDigestOf(t, img))

	// A second pull after rmi must reach the mirror again, not a local cache.
	d.Rmi(t, "alpine:latest")
	before = reg.ManifestReads()
	if out, err := d.Pull(t, "alpine:latest"); err != nil {
		t.Fatalf("pull after rmi: %v\n%s", err, out)
	}
	if reg.ManifestReads() == before {
		t.Fatal("second pull did not reach the mirror")
	}
}

// TestHarnessSkopeoCopy proves skopeo can copy from a plain-http loopback
// registry into an OCI layout, with extra flags placed where skopeo accepts
// them.
func TestHarnessSkopeoCopy(t *testing.T) {
	requireTools(t, "skopeo")
	t.Parallel()
	reg := newFakeRegistry(t)
	img := reg.pushRandom(t, "library/alpine:latest")
	dir := filepath.Join(t.TempDir(), "oci")

	skopeoCopy(t, "docker://"+reg.Host()+"/library/alpine:latest", "oci:"+dir+":latest",
		"--override-os", "linux")

	// skopeo rewrites the Docker manifest and config as OCI for an oci:
	// destination, so their digests change; the layer blobs are copied as is.
	if got, want := ociLayerDigests(t, dir), layerDigests(t, img); !slices.Equal(got, want) {
		t.Errorf("OCI layout layers = %v, want the pushed %v", got, want)
	}
}

// ociLayerDigests returns the layer digests of the only image in an OCI layout.
func ociLayerDigests(t *testing.T, dir string) []v1.Hash {
	t.Helper()
	idx, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		t.Fatalf("read OCI layout: %v", err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatalf("read OCI layout index: %v", err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("OCI layout has %d manifests, want 1", len(im.Manifests))
	}
	img, err := idx.Image(im.Manifests[0].Digest)
	if err != nil {
		t.Fatalf("OCI layout image: %v", err)
	}
	return layerDigests(t, img)
}
