package cache

import (
	"bytes"
	"encoding/json"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxIndexDepth bounds the walk through indexes of indexes.
const maxIndexDepth = 4

// pinnedSet is every digest the pins reach in the cache as it is now: each
// pinned tag's manifest, an index's child manifests, and every config and
// layer they name. It is walked afresh before each eviction, so a pin
// protects content as soon as it is cached; content not cached yet is not
// there to protect.
func (s *Store) pinnedSet() map[id]bool {
	set := map[id]bool{}
	for _, p := range s.pins {
		d := p.Digest
		if p.Tag != "" {
			t, err := s.Tag(p.Upstream, p.Repo, p.Tag)
			if err != nil {
				continue
			}
			d = t.Digest
		}
		s.pinManifest(set, d, 0)
	}
	return set
}

func (s *Store) pinManifest(set map[id]bool, d v1.Hash, depth int) {
	i, ok := idOf(d)
	if !ok || set[i] {
		return
	}
	set[i] = true
	body, _, err := s.read(i)
	if err != nil || depth > maxIndexDepth {
		return
	}
	if isIndex(body) {
		idx, err := v1.ParseIndexManifest(bytes.NewReader(body))
		if err != nil {
			return
		}
		for _, m := range idx.Manifests {
			s.pinManifest(set, m.Digest, depth+1)
		}
		return
	}
	m, err := v1.ParseManifest(bytes.NewReader(body))
	if err != nil {
		return
	}
	pinBlob(set, m.Config.Digest)
	for _, l := range m.Layers {
		pinBlob(set, l.Digest)
	}
}

func pinBlob(set map[id]bool, d v1.Hash) {
	if i, ok := idOf(d); ok {
		set[i] = true
	}
}

// isIndex tells an index (OCI index or Docker manifest list) from an image
// manifest by its shape, which holds whether or not mediaType is set.
func isIndex(body []byte) bool {
	var probe struct {
		Manifests json.RawMessage `json:"manifests"`
	}
	return json.Unmarshal(body, &probe) == nil && len(probe.Manifests) > 0
}
