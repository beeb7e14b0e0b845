package cache

import (
	"errors"
	"fmt"
	"io/fs"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// verifyChunk is how many digests Verify lists per read transaction; no
// transaction stays open while files are hashed.
const verifyChunk = 256

// Verified says what Verify found.
type Verified struct {
	Checked int   `json:"checked"`
	Bytes   int64 `json:"bytes"`
	Corrupt int   `json:"corrupt"` // content or size did not match; removed
	Missing int   `json:"missing"` // indexed but the file was gone; record dropped
}

// Verify re-hashes every stored blob. Corrupt content is removed, as are
// records whose file is gone; report (if not nil) hears of each, with an
// error wrapping ErrCorrupt or ErrNotFound. Verify is not an access.
func (s *Store) Verify(report func(d v1.Hash, problem error)) (Verified, error) {
	var got Verified
	var from id
	for first := true; ; first = false {
		batch, err := s.listFrom(from, !first, verifyChunk)
		if err != nil || len(batch) == 0 {
			return got, err
		}
		for _, v := range batch {
			if err := s.verifyOne(v, &got, report); err != nil {
				return got, err
			}
		}
		from = batch[len(batch)-1].id
	}
}

func (s *Store) verifyOne(v victim, got *Verified, report func(v1.Hash, error)) error {
	sum, size, _, err := hashFile(s.blobPath(v.id))
	var problem error
	switch {
	case errors.Is(err, fs.ErrNotExist):
		got.Missing++
		problem = fmt.Errorf("%w: file is missing", ErrNotFound)
	case err != nil:
		return err
	case size != v.size || sum != v.id:
		got.Corrupt++
		problem = fmt.Errorf("%w: %d bytes on disk hash to sha256:%x (indexed: %d bytes)", ErrCorrupt, size, sum[:], v.size)
	}
	got.Checked++
	got.Bytes += size
	if problem == nil {
		return nil
	}
	if report != nil {
		report(v.id.hash(), problem)
	}
	if err := s.Delete(v.id.hash()); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

// listFrom returns up to n records in digest order, starting at from
// (after it, if after).
func (s *Store) listFrom(from id, after bool, n int) ([]victim, error) {
	var out []victim
	err := s.eachRecordFrom(from, func(i id, m Meta, err error) error {
		if (after && i == from) || err != nil {
			return nil
		}
		out = append(out, victim{id: i, at: -1, size: m.Size})
		if len(out) == n {
			return errStop
		}
		return nil
	})
	if errors.Is(err, errStop) {
		err = nil
	}
	return out, err
}

var errStop = errors.New("stop")
