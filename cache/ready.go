package cache

import (
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
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "ready-")
	if err != nil {
		return fmt.Errorf("data dir not writable: %w", err)
	}
	f.Close()
	return os.Remove(f.Name())
}
