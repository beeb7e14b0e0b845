package cache

import (
	"github.com/dustin/go-humanize"

	"fmt"
	"os"
	"path/filepath"
)

// Ready says whether the store can take new content now: open, and its
// data dir writable (a full or read-only disk shows here before a fill
// fails on it).
func (s *Store) Ready() error {
	s.mu.Lock()
	closed := s.closed
	s.mu.Unlock()
	if closed {
		return errClosed
	}
	if free, ok := freeBytes(s.dir); ok && free < s.opts.MinFree {
		return fmt.Errorf("%w: %s free, %s must stay free for the index", ErrNoSpace,
			humanize.IBytes(uint64(max(free, 0))), humanize.IBytes(uint64(s.opts.MinFree)))
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "ready-")
	if err != nil {
		return fmt.Errorf("data dir not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}
