package main

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// clusterOwnLayers is how many layers each cluster image has besides the
// shared base.
const clusterOwnLayers = 2

// seedClusterImages stores n images sharing a base layer, as
// bench/cluster<i>:latest, and returns them with the size of their
// distinct blobs.
func seedClusterImages(hub *upstreamtest.Hub, n int, layerBytes int64) ([]hubinfo.Image, int64, error) {
	if n == 0 {
		return nil, 0, nil
	}
	imgs, err := upstreamtest.ImagesSharingBase(n, clusterOwnLayers, layerBytes)
	if err != nil {
		return nil, 0, err
	}
	sizes := map[string]int64{}
	var out []hubinfo.Image
	for i, img := range imgs {
		repo := fmt.Sprintf("bench/cluster%d", i)
		d := hub.AddImage(repo, "latest", img)
		m, err := img.Manifest()
		if err != nil {
			return nil, 0, err
		}
		info := hubinfo.Image{Repo: repo, Tag: "latest", Digest: d.String()}
		for _, desc := range append([]v1.Descriptor{m.Config}, m.Layers...) {
			info.Blobs = append(info.Blobs, desc.Digest.String())
			sizes[desc.Digest.String()] = desc.Size
		}
		out = append(out, info)
	}
	var total int64
	for _, s := range sizes {
		total += s
	}
	return out, total, nil
}
