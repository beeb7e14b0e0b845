package e2e

import (
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const (
	clusterImages  = 6
	clusterClients = 4 // concurrent clients per image
	// maxShare is the most of the blobs one replica may hold: more, and
	// the hashing is not spreading the work.
	maxShare = 0.70
)

// Six images sharing a base layer, each pulled by four clients at once
// through HAProxy in front of three replicas: every digest is right, each
// distinct blob came from upstream once across the whole cluster and sits
// on one replica only, each tag's manifest came at most once, and the
// blobs spread over every replica.
func TestClusterFetchesEachBlobOnceAcrossReplicas(t *testing.T) {
	t.Parallel()
	hub, imgs, c := pulledCluster(t)
	blobs := distinctBlobs(imgs)
	for _, b := range blobs {
		if n := hub.BlobGetsFor(b); n != 1 {
			t.Errorf("blob %s came from upstream %d times across the cluster, want 1", b, n)
		}
	}
	if n := hub.Counts().ManifestGets; n > clusterImages {
		t.Errorf("%d manifest GETs upstream for %d tags, want at most one each", n, clusterImages)
	}
	share := assertOneHolderEach(t, c, blobs)
	t.Logf("%d distinct blobs (%d images x %d clients), upstream CDN GETs %d, manifest GETs %d; blobs per replica %v",
		len(blobs), clusterImages, clusterClients, hub.Counts().CDNGets, hub.Counts().ManifestGets, share)
	for i, n := range share {
		if n == 0 || float64(n) > maxShare*float64(len(blobs)) {
			t.Errorf("replica %d holds %d of %d blobs; want some, and at most %.0f%%", i+1, n, len(blobs), maxShare*100)
		}
	}
}

// assertOneHolderEach checks every blob lives on exactly one replica and
// returns how many each holds.
func assertOneHolderEach(t *testing.T, c *cluster, blobs []v1.Hash) []int {
	t.Helper()
	share := make([]int, len(c.replicas))
	held := c.settledHolders(t, blobs)
	for _, b := range blobs {
		on := held[b]
		if len(on) != 1 {
			t.Errorf("blob %s is on replicas %v, want exactly one", b, on)
		}
		for _, i := range on {
			share[i]++
		}
	}
	return share
}
