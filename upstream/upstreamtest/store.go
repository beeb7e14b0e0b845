package upstreamtest

import (
	"fmt"
	"slices"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

type manifest struct {
	digest    v1.Hash
	mediaType types.MediaType
	raw       []byte
}

type repository struct {
	private   bool
	readers   map[string]bool // nil: any account; else only these (Hub's owner and collaborators)
	tags      map[string]v1.Hash
	manifests map[v1.Hash]manifest
	blobs     map[v1.Hash]int64 // linked blobs and their sizes
}

// store holds content the way Hub does: blob bytes once, shared by digest,
// and per-repository links, so a blob is only reachable through a repository
// that references it.
type store struct {
	mu    sync.RWMutex
	repos map[string]*repository
	blobs map[string][]byte // by sha256 hex
}

func (s *store) init() {
	s.repos = map[string]*repository{}
	s.blobs = map[string][]byte{}
}

// repo returns the named repository, creating it; callers hold mu.
func (s *store) repo(name string) *repository {
	r, ok := s.repos[name]
	if !ok {
		r = &repository{tags: map[string]v1.Hash{}, manifests: map[v1.Hash]manifest{}, blobs: map[v1.Hash]int64{}}
		s.repos[name] = r
	}
	return r
}

func (s *store) putBlob(repo string, b []byte) v1.Hash {
	d := blobtest.Digest(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blobs[d.Hex] = b
	s.repo(repo).blobs[d] = int64(len(b))
	return d
}

func (s *store) putManifest(repo string, mt types.MediaType, raw []byte) v1.Hash {
	d := blobtest.Digest(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo).manifests[d] = manifest{digest: d, mediaType: mt, raw: raw}
	return d
}

func (s *store) setTag(repo, tag string, d v1.Hash) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	if _, ok := r.manifests[d]; !ok {
		return fmt.Errorf("manifest %s is not in %s", d, repo)
	}
	r.tags[tag] = d
	return nil
}

func (s *store) setPrivate(repo string, readers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.repo(repo)
	r.private = true
	if len(readers) > 0 {
		r.readers = map[string]bool{}
		for _, u := range readers {
			r.readers[u] = true
		}
	}
}

// visible reports whether a token request by user ("" anonymous, else
// already authenticated) may be granted pull on repo.
func (s *store) visible(repo, user string) bool {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.repos[repo]
	return ok && (!r.private || user != "" && (r.readers == nil || r.readers[user]))
}

// manifest resolves a tag or digest reference.
func (s *store) manifest(repo, ref string) (manifest, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.repos[repo]
	if !ok {
		return manifest{}, false
	}
	d, err := v1.NewHash(ref)
	if err != nil {
		d, ok = r.tags[ref]
	}
	m, ok := r.manifests[d]
	return m, ok
}

func (s *store) blobSize(repo string, d v1.Hash) (int64, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.repos[repo]
	if !ok {
		return 0, false
	}
	n, ok := r.blobs[d]
	return n, ok
}

// content returns blob bytes by hex digest, for the CDN, which knows no
// repositories.
func (s *store) content(hex string) ([]byte, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	b, ok := s.blobs[hex]
	return b, ok
}

func (s *store) tags(repo string) []string {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.repos[repo]
	if !ok {
		return nil
	}
	out := make([]string, 0, len(r.tags))
	for t := range r.tags {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}
