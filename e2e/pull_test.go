package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// image is one seeded image as docker should end up holding it.
type image struct {
	ref      string // as a user types it: "alpine:latest"
	manifest v1.Hash
	config   v1.Hash // of the linux/amd64 image for a multi-arch tag
	blobs    []v1.Hash
}

// TestDockerPullThroughMirror is the user's story: a Docker daemon with
// registry-mirrors pulls single-arch, multi-arch, namespaced and OCI images
// through hubmirror; after `docker rmi` it pulls them again without a single
// blob coming from upstream.
func TestDockerPullThroughMirror(t *testing.T) {
	requireDockerd(t)
	hub := upstreamtest.New(t, upstreamtest.Options{})
	images := seedImages(t, hub)
	mirror := startHubmirror(t, "--upstream", hub.URL)
	d := startDockerd(t, mirror)
	hub.Reset() // forget the test's own reads of the hub

	cold := pullAll(t, d, images)
	c := hub.Counts()
	t.Logf("cold pull of %d images: %v; upstream: %d manifest GETs, %d blob GETs, %d CDN GETs, %d token requests",
		len(images), cold, c.ManifestGets, c.BlobGets, c.CDNGets, c.Tokens)
	for _, img := range images {
		assertPulled(t, d, "docker.io/"+fullRef(img.ref), img.manifest, img.config)
	}
	assertFetchedOnce(t, hub, images)
	if c.CDNAuthorized != 0 {
		t.Errorf("the CDN received %d requests with Authorization", c.CDNAuthorized)
	}

	for _, img := range images {
		d.Rmi(t, img.ref)
	}
	hub.Reset()
	warm := pullAll(t, d, images)
	c = hub.Counts()
	t.Logf("warm pull after rmi: %v; upstream: %d manifest GETs, %d blob GETs, %d CDN GETs", warm, c.ManifestGets, c.BlobGets, c.CDNGets)
	if c.BlobGets != 0 || c.CDNGets != 0 || c.ManifestGets != 0 {
		t.Errorf("warm pull reached upstream: %+v", c)
	}
	for _, img := range images {
		assertPulled(t, d, "docker.io/"+fullRef(img.ref), img.manifest, img.config)
	}
}

// The same images through skopeo, which reads the mirror as a registry.
func TestSkopeoCopyThroughMirror(t *testing.T) {
	requireTools(t, "skopeo")
	hub := upstreamtest.New(t, upstreamtest.Options{})
	images := seedImages(t, hub)
	mirror := strings.TrimPrefix(startHubmirror(t, "--upstream", hub.URL), "http://")
	for _, img := range images {
		dir := t.TempDir()
		skopeoCopy(t, "docker://"+mirror+"/"+fullRef(img.ref), "oci:"+dir, "--override-os", "linux", "--override-arch", "amd64")
		layers := ociLayerDigests(t, dir)
		if len(layers) == 0 {
			t.Fatalf("%s: no layers copied", img.ref)
		}
		for _, l := range layers {
			if !containsHash(img.blobs, l) {
				t.Errorf("%s: copied layer %s is not one the hub serves", img.ref, l)
			}
		}
	}
	if got := hub.Counts().CDNGets; got == 0 {
		t.Error("skopeo's copies never reached upstream through the mirror")
	}
}

func pullAll(t *testing.T, d *dockerd, images []image) time.Duration {
	t.Helper()
	start := time.Now()
	for _, img := range images {
		if out, err := d.Pull(t, img.ref); err != nil {
			t.Fatalf("docker pull %s: %v\n%s", img.ref, err, out)
		}
	}
	return time.Since(start)
}

// assertFetchedOnce proves the pull went through hubmirror (dockerd falls
// back to Docker Hub silently otherwise) and that no blob came twice.
func assertFetchedOnce(t *testing.T, hub *upstreamtest.Hub, images []image) {
	t.Helper()
	fetched := 0
	for _, img := range images {
		for _, b := range img.blobs {
			n := hub.BlobGetsFor(b)
			if n > 1 {
				t.Errorf("%s: blob %s fetched %d times", img.ref, b, n)
			}
			fetched += int(n)
		}
	}
	if fetched == 0 {
		t.Fatal("no blob reached upstream: the pull did not go through the mirror")
	}
}

// seedImages loads the standard image set into hub and reads back what a
// linux/amd64 docker must end up with.
func seedImages(t *testing.T, hub *upstreamtest.Hub) []image {
	t.Helper()
	seeded, err := hub.SeedStandard()
	if err != nil {
		t.Fatal(err)
	}
	var out []image
	for _, s := range seeded {
		out = append(out, image{
			ref:      strings.TrimPrefix(s.Ref, "library/"),
			manifest: s.Digest,
			config:   amd64Config(t, hub.Host()+"/"+s.Ref),
			blobs:    s.Blobs,
		})
	}
	return out
}

func amd64Config(t *testing.T, ref string) v1.Hash {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithPlatform(v1.Platform{OS: "linux", Architecture: "amd64"}))
	if err != nil {
		t.Fatalf("reading %s from the hub: %v", ref, err)
	}
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func fullRef(ref string) string {
	if !strings.Contains(strings.Split(ref, ":")[0], "/") {
		return "library/" + ref
	}
	return ref
}

func containsHash(hs []v1.Hash, h v1.Hash) bool {
	for _, x := range hs {
		if x == h {
			return true
		}
	}
	return false
}

// When Docker Hub goes down, every cached image still pulls by tag through
// a real Docker daemon, even after its tags' TTL ran out.
func TestDockerPullWhileUpstreamIsDown(t *testing.T) {
	requireDockerd(t)
	hub := upstreamtest.New(t, upstreamtest.Options{})
	images := seedImages(t, hub)
	mirror := startHubmirror(t, "--upstream", hub.URL, "--tag-ttl", "1ms")
	d := startDockerd(t, mirror)
	pullAll(t, d, images)
	for _, img := range images {
		d.Rmi(t, img.ref)
	}

	hub.SetOffline(true)
	time.Sleep(10 * time.Millisecond) // let the 1 ms TTL run out for certain
	took := pullAll(t, d, images)
	t.Logf("pull of %d images with upstream offline: %v", len(images), took)
	for _, img := range images {
		assertPulled(t, d, "docker.io/"+fullRef(img.ref), img.manifest, img.config)
	}
}
