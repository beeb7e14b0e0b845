package main

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// clusterOwnLayers is how many layers each cluster image adds to the base
// it shares with the others: the base is then a quarter of every pull, as
// a common distribution base is of a small service's image.
const clusterOwnLayers = 3

// seedClusterImages stores n images built on one base layer, each in its
// own repository (bench/cluster<i>:latest), so a mirror keyed on the
// repository would fetch the base n times and one keyed on the digest once.
func seedClusterImages(hub *upstreamtest.Hub, n int, layerBytes int64) ([]hubinfo.Image, error) {
	if n == 0 {
		return nil, nil
	}
	imgs, err := upstreamtest.ImagesSharingBase(n, clusterOwnLayers, layerBytes)
	if err != nil {
		return nil, err
	}
	var out []hubinfo.Image
	for i, img := range imgs {
		info, err := addLatest(hub, fmt.Sprintf("bench/cluster%d", i), img, imageBlobDigests)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// addLatest stores img as repo:latest and describes it, with the blobs
// that blobs lists.
func addLatest(hub *upstreamtest.Hub, repo string, img v1.Image, blobs func(v1.Image) ([]string, error)) (hubinfo.Image, error) {
	d := hub.AddImage(repo, "latest", img)
	digests, err := blobs(img)
	return hubinfo.Image{Repo: repo, Tag: "latest", Digest: d.String(), Blobs: digests}, err
}

// imageBlobDigests are an image's config and layers, as a client fetches them.
func imageBlobDigests(img v1.Image) ([]string, error) {
	cfg, err := img.ConfigName()
	if err != nil {
		return nil, err
	}
	layers, err := layerDigests(img)
	return append([]string{cfg.String()}, layers...), err
}

func layerDigests(img v1.Image) ([]string, error) {
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	var out []string
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		out = append(out, d.String())
	}
	return out, nil
}
