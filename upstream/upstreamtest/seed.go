package upstreamtest

import (
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Seeded describes one image SeedStandard stored, so tests can pull it and
// then ask the counters about its parts.
type Seeded struct {
	// Ref is relative to the Hub, e.g. "library/alpine:latest"; prefix
	// Hub.Host() or a mirror's address to pull it.
	Ref       string
	Repo, Tag string
	Digest    v1.Hash // of the manifest or list the tag names
	MediaType types.MediaType
	// Children are the per-platform manifests of a list; nil for an image.
	Children []v1.Hash
	// Blobs are every config and layer reachable from the tag.
	Blobs []v1.Hash
}

// SeedStandard stores the image set the end-to-end tests pull:
//
//	library/alpine:latest   single-arch Docker schema 2, linux/amd64
//	library/busybox:latest  Docker manifest list, linux/amd64 + linux/arm64
//	someuser/app:v1         namespaced single-arch image
//	library/ocitest:1       OCI manifest with OCI layers
//
// Layers are tens of KiB so a real dockerd can extract them quickly.
func (h *Hub) SeedStandard() ([]Seeded, error) {
	var out []Seeded
	for _, s := range []struct {
		repo, tag  string
		layers     int
		oci, multi bool
	}{
		{"library/alpine", "latest", 2, false, false},
		{"library/busybox", "latest", 1, false, true},
		{"someuser/app", "v1", 3, false, false},
		{"library/ocitest", "1", 2, true, false},
	} {
		sd, err := h.seed(s.repo, s.tag, s.layers, s.oci, s.multi)
		if err != nil {
			return nil, err
		}
		out = append(out, sd)
	}
	return out, nil
}

func (h *Hub) seed(repo, tag string, layers int, oci, multi bool) (Seeded, error) {
	sd := Seeded{Ref: repo + ":" + tag, Repo: repo, Tag: tag}
	var err error
	if multi {
		err = h.seedIndex(&sd, oci)
	} else {
		err = h.seedImage(&sd, layers, oci)
	}
	if err != nil {
		return Seeded{}, err
	}
	sd.Blobs = slices.Compact(slices.SortedFunc(slices.Values(sd.Blobs), compareHash))
	return sd, h.store.setTag(repo, tag, sd.Digest)
}

func (h *Hub) seedImage(sd *Seeded, layers int, oci bool) error {
	img, err := Image(layers, 24<<10, oci)
	if err != nil {
		return err
	}
	sd.MediaType = typesFor(oci).manifest
	sd.Digest, sd.Blobs, err = h.addImage(sd.Repo, img)
	return err
}

func (h *Hub) seedIndex(sd *Seeded, oci bool) error {
	idx, err := MultiArch(oci)
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	for _, d := range im.Manifests {
		sd.Children = append(sd.Children, d.Digest)
	}
	sd.MediaType = typesFor(oci).index
	sd.Digest, sd.Blobs, err = h.addIndex(sd.Repo, idx)
	return err
}

func compareHash(a, b v1.Hash) int { return strings.Compare(a.String(), b.String()) }
