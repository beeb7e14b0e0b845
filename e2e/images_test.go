package e2e

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// pushed is an image stored on a fake hub, as a client should end up
// holding it.
type pushed struct {
	manifest v1.Hash
	config   v1.Hash
	layers   []v1.Hash
}

// blobs is every blob a pull of the image fetches: its config and layers.
func (p pushed) blobs() []v1.Hash { return append([]v1.Hash{p.config}, p.layers...) }

// addImage stores a new random two-layer linux/amd64 image on hub as
// repo:tag. Every call makes new digests, so two registries holding the
// same name hold different content.
func addImage(t *testing.T, hub *upstreamtest.Hub, repo, tag string) pushed {
	t.Helper()
	img, err := upstreamtest.Image(2, 16<<10, false)
	if err != nil {
		t.Fatalf("build image: %v", err)
	}
	return pushed{
		manifest: hub.AddImage(repo, tag, img),
		config:   configDigestOf(t, img),
		layers:   layerDigests(t, img),
	}
}

// blobGets is how many times hub's CDN served the blobs of p.
func blobGets(hub *upstreamtest.Hub, p pushed) map[v1.Hash]int64 {
	got := map[v1.Hash]int64{}
	for _, b := range p.blobs() {
		got[b] = hub.BlobGetsFor(b)
	}
	return got
}

// assertServedBy proves a pull of want came through the mirror from hub,
// once per blob, and that nothing of decoy (the same name on the other
// registry) was fetched from other.
func assertServedBy(t *testing.T, hub *upstreamtest.Hub, want pushed, other *upstreamtest.Hub, decoy pushed) {
	t.Helper()
	for b, n := range blobGets(hub, want) {
		if n != 1 {
			t.Errorf("blob %s came from its registry %d times, want 1", b, n)
		}
	}
	for b, n := range blobGets(other, decoy) {
		if n != 0 {
			t.Errorf("blob %s of the same name on the other registry was fetched %d times", b, n)
		}
	}
}

// repoRequests counts the requests that a client's request could have
// caused upstream: reads of a repository and the tokens for them.
func repoRequests(c upstreamtest.Counts) int64 {
	return c.Tokens + c.ManifestGets + c.ManifestHeads + c.BlobGets + c.BlobHeads + c.TagLists
}
