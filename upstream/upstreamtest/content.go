package upstreamtest

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// mediaTypes are one format family: a client that pulls an image must see
// manifest, config and layers agree, as they do on Hub.
type mediaTypes struct {
	manifest, config, layer, index types.MediaType
}

var (
	dockerTypes = mediaTypes{types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer, types.DockerManifestList}
	ociTypes    = mediaTypes{types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer, types.OCIImageIndex}
)

func typesFor(oci bool) mediaTypes {
	if oci {
		return ociTypes
	}
	return dockerTypes
}

// Image builds a linux/amd64 image of random gzip'd tar layers, each holding
// one file of layerBytes random bytes, with a config whose diff_ids match.
// Every call yields new digests. oci selects OCI media types throughout.
func Image(layers int, layerBytes int64, oci bool) (v1.Image, error) {
	return platformImage(layers, layerBytes, oci, v1.Platform{OS: "linux", Architecture: "amd64"})
}

func platformImage(layers int, layerBytes int64, oci bool, p v1.Platform) (v1.Image, error) {
	mt := typesFor(oci)
	base, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{
		Architecture: p.Architecture, OS: p.OS, Variant: p.Variant,
		RootFS: v1.RootFS{Type: "layers"},
		Config: v1.Config{Cmd: []string{"/bin/sh"}, Env: []string{"PATH=/bin"}},
	})
	if err != nil {
		return nil, err
	}
	adds := make([]mutate.Addendum, 0, layers)
	for i := range layers {
		l, err := random.Layer(layerBytes, mt.layer)
		if err != nil {
			return nil, err
		}
		adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("upstreamtest layer %d", i)}})
	}
	img, err := mutate.Append(base, adds...)
	if err != nil {
		return nil, err
	}
	return mutate.ConfigMediaType(mutate.MediaType(img, mt.manifest), mt.config), nil
}

// MultiArch builds a linux/amd64 + linux/arm64/v8 list, like most official
// images: a Docker manifest list, or an OCI index when oci is set.
func MultiArch(oci bool) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, typesFor(oci).index)
	for _, p := range []v1.Platform{
		{OS: "linux", Architecture: "amd64"},
		{OS: "linux", Architecture: "arm64", Variant: "v8"},
	} {
		img, err := platformImage(1, 16<<10, oci, p)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &p},
		})
	}
	return idx, nil
}
