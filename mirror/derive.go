package mirror

import (
	"bytes"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// derivedStale answers a client that takes no Docker manifest list while
// upstream cannot be asked and its own answer is not cached (answers per
// Accept class live in memory, so a restart loses them). If the tag's
// meaning is a Docker list whose linux/amd64 image is cached, that image
// is what upstream would have answered (distribution's GetManifest rule,
// tagindex.go), so it is served, stale. Nothing is derived while upstream
// answers: then its own answer is asked for and cached.
func (m *Mirror) derivedStale(rt route, accept []string) (*manifest, bool) {
	t, err := m.opts.Store.Tag(rt.reg.Host, rt.repo, rt.ref.tag)
	if err != nil || t.MediaType != string(types.DockerManifestList) || acceptable(t.MediaType, accept) {
		return nil, false
	}
	list, ok := m.cachedManifest(t.Digest)
	if !ok {
		return nil, false
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(list.body))
	if err != nil {
		return nil, false
	}
	for _, d := range idx.Manifests {
		if p := d.Platform; p != nil && p.OS == "linux" && p.Architecture == "amd64" {
			child, ok := m.cachedManifest(d.Digest)
			if !ok || !acceptable(child.mediaType, accept) {
				return nil, false
			}
			return markStale(child), true
		}
	}
	return nil, false
}
