package main

import (
	crand "crypto/rand"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

const (
	blobRepo   = "bench/blobs"
	taggedRepo = "bench/tagged"
)

// seed fills the hub and describes what it put there.
func seed(hub *upstreamtest.Hub, cfg config) (hubinfo.Info, error) {
	info := hubinfo.Info{URL: hub.URL, Realm: hub.Realm, CDNURL: hub.CDNURL}
	var err error
	if info.Blobs, err = seedBlobs(hub, cfg.blobSizes, cfg.exportDir); err != nil {
		return info, err
	}
	if info.Images, err = seedStandard(hub); err != nil {
		return info, err
	}
	if info.Tagged, err = seedTags(hub, cfg.tags); err != nil {
		return info, err
	}
	if info.FarImages, err = seedFarImages(hub, cfg.farImages); err != nil {
		return info, err
	}
	info.ClusterImages, err = seedClusterImages(hub, cfg.clusterImages, cfg.clusterLayer)
	return info, err
}

// farLayers and farLayerBytes shape the far-link scenario's image: many
// small layers, so a pull is bound by round trips rather than bandwidth.
const (
	farLayers     = 40
	farLayerBytes = 256 << 10
)

// seedFarImages stores n images of farLayers layers, each its own
// repository so that every one is cold for every system.
func seedFarImages(hub *upstreamtest.Hub, n int) ([]hubinfo.Image, error) {
	var out []hubinfo.Image
	for i := range n {
		img, err := upstreamtest.Image(farLayers, farLayerBytes, false)
		if err != nil {
			return nil, err
		}
		info, err := addLatest(hub, fmt.Sprintf("bench/far%d", i), img, layerDigests)
		if err != nil {
			return nil, err
		}
		out = append(out, info)
	}
	return out, nil
}

// seedBlobs stores one random blob per size. The bytes are random so that
// nothing on the path (a compressing proxy, a deduplicating disk) can make
// a large blob cheaper than its size.
func seedBlobs(hub *upstreamtest.Hub, sizes []int64, exportDir string) ([]hubinfo.Blob, error) {
	var out []hubinfo.Blob
	for _, size := range sizes {
		content := randomBytes(size)
		d := hub.AddBlob(blobRepo, content)
		b := hubinfo.Blob{Repo: blobRepo, Digest: d.String(), Size: size}
		if exportDir != "" {
			b.File = filepath.Join(exportDir, d.Hex)
			if err := os.WriteFile(b.File, content, 0o644); err != nil {
				return nil, fmt.Errorf("export %s: %w", d, err)
			}
		}
		out = append(out, b)
	}
	return out, nil
}

// randomBytes uses a seeded ChaCha8 stream: as unpredictable as the
// benchmark needs, and several times faster than the kernel's generator
// for gigabytes.
func randomBytes(n int64) []byte {
	var s [32]byte
	crand.Read(s[:])
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

func seedStandard(hub *upstreamtest.Hub) ([]hubinfo.Image, error) {
	seeded, err := hub.SeedStandard()
	if err != nil {
		return nil, err
	}
	var out []hubinfo.Image
	for _, s := range seeded {
		img := hubinfo.Image{Repo: s.Repo, Tag: s.Tag, Digest: s.Digest.String()}
		for _, b := range s.Blobs {
			img.Blobs = append(img.Blobs, b.String())
		}
		out = append(out, img)
	}
	return out, nil
}

// seedTags points n tags at n distinct one-layer images, so every tag is a
// separate cold pull for a mirror.
func seedTags(hub *upstreamtest.Hub, n int) (hubinfo.TagSet, error) {
	set := hubinfo.TagSet{Repo: taggedRepo}
	for i := range n {
		img, err := upstreamtest.Image(1, 1<<10, false)
		if err != nil {
			return set, err
		}
		tag := fmt.Sprintf("t%03d", i)
		hub.AddImage(taggedRepo, tag, img)
		set.Tags = append(set.Tags, tag)
	}
	return set, nil
}
