package soak

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// The working set upstream. With layerSizes and the counts below it holds
// several times cacheMaxSize, so a population pulling at random keeps the
// evictor busy and most pulls miss at least one layer.
const (
	upstreamRepos  = 12
	imagesPerRepo  = 3
	tagsPerRepo    = 2
	indexRepoEvery = 4 // every 4th repository is multi-platform, as official images are
)

// layerSizes are drawn per image: small configs-and-scripts layers and a
// few that cross the piece threshold the mirror is started with.
var layerSizes = []int64{8 << 10, 96 << 10, 512 << 10, 1536 << 10, 3 << 20}

// manifestInfo is one manifest the Hub holds: what a client expects to
// find behind its digest.
type manifestInfo struct {
	digest    v1.Hash
	mediaType types.MediaType
	raw       []byte
	blobs     []v1.Hash // config then layers; empty for an index
	children  []v1.Hash // an index's platform manifests
}

// upRepo is one upstream repository and every manifest any of its tags has
// ever named, so a tag answered from a stale cache still checks out.
type upRepo struct {
	name      string
	tags      []string
	images    []v1.Hash
	referrers map[string][]v1.Hash // subject hex → its referrers
}

// world is the content the Hub serves, kept by the test too, so every byte
// a client reads can be checked against what it should be.
type world struct {
	hub       *upstreamtest.Hub
	repos     []*upRepo
	blobs     map[string][]byte // hex → content
	manifests map[string]*manifestInfo
	largest   int64 // the largest blob, for the disk slack
	total     int64 // every blob and manifest byte

	mu   sync.Mutex
	tags map[string]v1.Hash // "repo:tag" → the digest it names now
}

func newWorld(hub *upstreamtest.Hub, rng *rand.Rand) (*world, error) {
	w := &world{hub: hub, blobs: map[string][]byte{}, manifests: map[string]*manifestInfo{},
		tags: map[string]v1.Hash{}}
	for i := range upstreamRepos {
		r := &upRepo{name: fmt.Sprintf("soak/up%02d", i), referrers: map[string][]v1.Hash{}}
		for k := range tagsPerRepo {
			r.tags = append(r.tags, fmt.Sprintf("v%d", k))
		}
		for range imagesPerRepo {
			d, err := w.addTop(r.name, i%indexRepoEvery == indexRepoEvery-1, rng)
			if err != nil {
				return nil, err
			}
			r.images = append(r.images, d)
		}
		for k, tag := range r.tags {
			w.retag(r, tag, r.images[k%len(r.images)])
		}
		subject := r.images[0]
		r.referrers[subject.Hex] = append(r.referrers[subject.Hex],
			hub.AddReferrer(r.name, subject, "application/vnd.dev.sigstore.bundle.v0.3+json"))
		w.repos = append(w.repos, r)
	}
	return w, nil
}

// addTop stores one image, or a two-platform index, in repo.
func (w *world) addTop(repo string, index bool, rng *rand.Rand) (v1.Hash, error) {
	oci := rng.IntN(2) == 0
	if index {
		idx, err := upstreamtest.MultiArch(oci)
		if err != nil {
			return v1.Hash{}, err
		}
		if err := w.recordIndex(idx); err != nil {
			return v1.Hash{}, err
		}
		return w.hub.AddIndex(repo, "", idx), nil
	}
	img, err := upstreamtest.Image(1+rng.IntN(3), layerSizes[rng.IntN(len(layerSizes))], oci)
	if err != nil {
		return v1.Hash{}, err
	}
	if _, err := w.recordImage(img); err != nil {
		return v1.Hash{}, err
	}
	return w.hub.AddImage(repo, "", img), nil
}

func (w *world) recordIndex(idx v1.ImageIndex) error {
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	info, err := w.recordManifest(idx)
	if err != nil {
		return err
	}
	for _, desc := range im.Manifests {
		child, err := idx.Image(desc.Digest)
		if err != nil {
			return err
		}
		if _, err := w.recordImage(child); err != nil {
			return err
		}
		info.children = append(info.children, desc.Digest)
	}
	return nil
}

func (w *world) recordImage(img v1.Image) (*manifestInfo, error) {
	info, err := w.recordManifest(img)
	if err != nil {
		return nil, err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	info.blobs = append(info.blobs, w.recordBlob(cfg))
	layers, err := img.Layers()
	if err != nil {
		return nil, err
	}
	for _, l := range layers {
		rc, err := l.Compressed()
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		info.blobs = append(info.blobs, w.recordBlob(b))
	}
	return info, nil
}

type rawManifest interface {
	RawManifest() ([]byte, error)
	MediaType() (types.MediaType, error)
	Digest() (v1.Hash, error)
}

func (w *world) recordManifest(m rawManifest) (*manifestInfo, error) {
	raw, err := m.RawManifest()
	if err != nil {
		return nil, err
	}
	mt, err := m.MediaType()
	if err != nil {
		return nil, err
	}
	d, err := m.Digest()
	if err != nil {
		return nil, err
	}
	info := &manifestInfo{digest: d, mediaType: mt, raw: raw}
	w.manifests[d.Hex] = info
	w.total += int64(len(raw))
	return info, nil
}

func (w *world) recordBlob(b []byte) v1.Hash {
	d, _, _ := v1.SHA256(bytes.NewReader(b))
	if _, ok := w.blobs[d.Hex]; !ok {
		w.blobs[d.Hex] = b
		w.total += int64(len(b))
		w.largest = max(w.largest, int64(len(b)))
	}
	return d
}

// retag points tag at d on the Hub, as a push of a new image under an old
// tag would, while clients may be pulling it.
func (w *world) retag(r *upRepo, tag string, d v1.Hash) {
	w.hub.Tag(r.name, tag, d)
	w.mu.Lock()
	w.tags[r.name+":"+tag] = d
	w.mu.Unlock()
}

// current is the digest tag of r names now on the Hub.
func (w *world) current(r *upRepo, tag string) v1.Hash {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.tags[r.name+":"+tag]
}

// everBehind reports whether d is a manifest some tag of r has named (or a
// platform manifest of one): what a pull by tag may rightly be given.
func (r *upRepo) everBehind(w *world, d v1.Hash) bool {
	for _, top := range r.images {
		if top == d {
			return true
		}
		if info := w.manifests[top.Hex]; info != nil && containsHash(info.children, d) {
			return true
		}
	}
	return false
}

func containsHash(hs []v1.Hash, d v1.Hash) bool {
	for _, h := range hs {
		if h == d {
			return true
		}
	}
	return false
}
