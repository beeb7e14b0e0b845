package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Put stores small content (a manifest) in one step. Content already
// stored under the same media type only counts as an access: manifests are
// put again on every tag revalidation, and need no second fsync.
func (s *Store) Put(d v1.Hash, mediaType string, body []byte) error {
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != d.Hex {
		return fmt.Errorf("%w: got sha256:%x, want %s", ErrCorrupt, sum, d)
	}
	if s.has(d, mediaType) {
		return nil
	}
	p, err := s.Create(d, int64(len(body)), mediaType)
	if err != nil {
		return err
	}
	defer p.Close()
	if _, err := bytes.NewReader(body).WriteTo(p); err != nil {
		p.Abort()
		return err
	}
	return p.Commit()
}

func (s *Store) has(d v1.Hash, mediaType string) bool {
	i, ok := idOf(d)
	if !ok {
		return false
	}
	m, err := s.meta(i)
	if err != nil || m.MediaType != mediaType {
		return false
	}
	if _, err := os.Stat(s.blobPath(i)); err != nil {
		return false
	}
	s.touch(i)
	return true
}

// syncDir makes a rename durable: without it a crash can forget the new name.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
