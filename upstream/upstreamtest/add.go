package upstreamtest

import (
	"fmt"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// AddImage stores img's manifest, config and compressed layers in repo and
// points tag at it ("" stores it by digest only). It panics if img cannot be
// read: content is built in memory by the caller, so that is a bug in the
// test, not a condition to handle.
func (h *Hub) AddImage(repo, tag string, img v1.Image) v1.Hash {
	d, _, err := h.addImage(repo, img)
	must(err, "AddImage")
	h.tagIfNamed(repo, tag, d)
	return d
}

// AddIndex stores idx and, recursively, every image and index it lists, so
// clients can walk from the tag to every blob. It panics like AddImage.
func (h *Hub) AddIndex(repo, tag string, idx v1.ImageIndex) v1.Hash {
	d, _, err := h.addIndex(repo, idx)
	must(err, "AddIndex")
	h.tagIfNamed(repo, tag, d)
	return d
}

// AddBlob stores raw bytes as a blob of repo, for tests that need a blob of
// a given size without a manifest around it.
func (h *Hub) AddBlob(repo string, content []byte) v1.Hash {
	return h.store.putBlob(repo, content)
}

// SetPrivate makes repo visible only to token requests with valid Basic
// credentials, creating it if needed.
func (h *Hub) SetPrivate(repo string) { h.store.setPrivate(repo) }

// SetPrivateTo makes repo private to the named accounts only, as a Hub
// repository is to its owner and collaborators: another valid account gets
// a token that grants nothing on it, and then the registry's 401, exactly
// as for a repository that does not exist.
func (h *Hub) SetPrivateTo(repo string, users ...string) { h.store.setPrivate(repo, users...) }

// Tag points tag at a manifest already stored in repo, as a push of a new
// image under an old tag would; it panics if the digest is not there.
func (h *Hub) Tag(repo, tag string, digest v1.Hash) {
	must(h.store.setTag(repo, tag, digest), "Tag")
}

func (h *Hub) tagIfNamed(repo, tag string, d v1.Hash) {
	if tag != "" {
		h.Tag(repo, tag, d)
	}
}

// addImage returns the manifest digest and the digests of every blob stored.
func (h *Hub) addImage(repo string, img v1.Image) (v1.Hash, []v1.Hash, error) {
	cfg, err := img.RawConfigFile()
	if err != nil {
		return v1.Hash{}, nil, err
	}
	blobs := []v1.Hash{h.store.putBlob(repo, cfg)}
	layers, err := img.Layers()
	if err != nil {
		return v1.Hash{}, nil, err
	}
	for _, l := range layers {
		d, err := h.addLayer(repo, l)
		if err != nil {
			return v1.Hash{}, nil, err
		}
		blobs = append(blobs, d)
	}
	d, err := h.addManifest(repo, img)
	return d, blobs, err
}

func (h *Hub) addLayer(repo string, l v1.Layer) (v1.Hash, error) {
	rc, err := l.Compressed()
	if err != nil {
		return v1.Hash{}, err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		return v1.Hash{}, err
	}
	want, err := l.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	// A layer whose bytes differ from its descriptor would make every pull
	// fail for reasons unrelated to the test, so reject it here.
	if got := h.store.putBlob(repo, b); got != want {
		return v1.Hash{}, fmt.Errorf("layer %s compressed to %s", want, got)
	}
	return want, nil
}

func (h *Hub) addIndex(repo string, idx v1.ImageIndex) (v1.Hash, []v1.Hash, error) {
	im, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, nil, err
	}
	var blobs []v1.Hash
	for _, desc := range im.Manifests {
		b, err := h.addChild(repo, idx, desc)
		if err != nil {
			return v1.Hash{}, nil, err
		}
		blobs = append(blobs, b...)
	}
	d, err := h.addManifest(repo, idx)
	return d, blobs, err
}

func (h *Hub) addChild(repo string, idx v1.ImageIndex, desc v1.Descriptor) ([]v1.Hash, error) {
	switch {
	case desc.MediaType.IsIndex():
		child, err := idx.ImageIndex(desc.Digest)
		if err != nil {
			return nil, err
		}
		_, blobs, err := h.addIndex(repo, child)
		return blobs, err
	case desc.MediaType.IsImage():
		child, err := idx.Image(desc.Digest)
		if err != nil {
			return nil, err
		}
		_, blobs, err := h.addImage(repo, child)
		return blobs, err
	}
	return nil, fmt.Errorf("index child %s has unsupported media type %q", desc.Digest, desc.MediaType)
}

type rawManifest interface {
	RawManifest() ([]byte, error)
	MediaType() (types.MediaType, error)
}

func (h *Hub) addManifest(repo string, m rawManifest) (v1.Hash, error) {
	raw, err := m.RawManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	mt, err := m.MediaType()
	if err != nil {
		return v1.Hash{}, err
	}
	return h.store.putManifest(repo, mt, raw), nil
}

func must(err error, what string) {
	if err != nil {
		panic(fmt.Sprintf("upstreamtest.%s: %v", what, err))
	}
}
