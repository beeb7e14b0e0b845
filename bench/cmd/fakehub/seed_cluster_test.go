package main

import (
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// The cluster images share exactly their base layer, and /_counts reports
// the CDN's view of each of their blobs, which is what scenario 11's
// "each distinct blob fetched once" is read from.
func TestClusterImagesShareOneBaseAndAreCounted(t *testing.T) {
	hub, err := upstreamtest.Start(upstreamtest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer hub.Close()
	imgs, err := seedClusterImages(hub, 3, 4<<10)
	if err != nil {
		t.Fatal(err)
	}
	if len(imgs) != 3 {
		t.Fatalf("%d images, want 3", len(imgs))
	}
	seen := map[string]int{}
	for _, img := range imgs {
		// config, base, then clusterOwnLayers of its own
		if len(img.Blobs) != 2+clusterOwnLayers {
			t.Fatalf("%s has %d blobs, want %d", img.Repo, len(img.Blobs), 2+clusterOwnLayers)
		}
		for _, d := range img.Blobs {
			seen[d]++
		}
	}
	if base := imgs[0].Blobs[1]; seen[base] != 3 {
		t.Errorf("base %s in %d images, want all 3", base, seen[base])
	}
	distinct := imageBlobs(imgs)
	if want := 1 + 3*(1+clusterOwnLayers); len(distinct) != want {
		t.Errorf("%d distinct blobs, want %d", len(distinct), want)
	}
	c := counts(hub, nil, distinct)
	for _, d := range distinct {
		if _, ok := c.BlobStats[d]; !ok {
			t.Errorf("counts has no blob stats for %s", d)
		}
	}
}
