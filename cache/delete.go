package cache

import (
	"errors"
	"io/fs"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Delete removes d from the cache, pinned or hosted or not. A fill of d
// already under way is not stopped: it publishes again when it commits.
// Readers with the file open keep reading.
func (s *Store) Delete(d v1.Hash) error {
	i, ok := idOf(d)
	if !ok {
		return ErrNotFound
	}
	for {
		claimed, release := s.claim([]victim{{id: i, at: -1}}, true)
		if len(claimed) == 0 {
			s.awaitEviction(i)
			continue
		}
		return s.deleteClaimed(i, claimed, release)
	}
}

// deleteClaimed removes i, which the caller claimed, and ends the claim.
func (s *Store) deleteClaimed(i id, claimed []victim, release func()) error {
	defer release()
	err := s.hostedUpdate(func(h *hostedTxn) error {
		_, err := h.unhold(i, time.Time{})
		return err
	})
	if err != nil {
		return err
	}
	got, err := s.remove(claimed)
	if err != nil || got.Blobs > 0 {
		return err
	}
	return s.removeOrphan(i)
}

// removeOrphan deletes a file that has no record.
func (s *Store) removeOrphan(i id) error {
	s.hot.drop(i)
	err := os.Remove(s.blobPath(i))
	if errors.Is(err, fs.ErrNotExist) {
		return ErrNotFound
	}
	return err
}
