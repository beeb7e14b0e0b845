package upstreamtest

import (
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
)

// ImagesSharingBase builds n linux/amd64 Docker images that all start with
// one base layer, as images built FROM one base do, each followed by own
// layers of its own (layerBytes each). A mirror that keys content on its
// digest must fetch the base once for all of them.
func ImagesSharingBase(n, own int, layerBytes int64) ([]v1.Image, error) {
	mt := typesFor(false)
	base, err := random.Layer(layerBytes, mt.layer)
	if err != nil {
		return nil, err
	}
	imgs := make([]v1.Image, 0, n)
	for i := range n {
		empty, err := Image(0, 0, false)
		if err != nil {
			return nil, err
		}
		adds := []mutate.Addendum{{Layer: base, History: v1.History{CreatedBy: "upstreamtest shared base"}}}
		for j := range own {
			l, err := random.Layer(layerBytes, mt.layer)
			if err != nil {
				return nil, err
			}
			adds = append(adds, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("upstreamtest image %d layer %d", i, j)}})
		}
		img, err := mutate.Append(empty, adds...)
		if err != nil {
			return nil, err
		}
		imgs = append(imgs, img)
	}
	return imgs, nil
}
