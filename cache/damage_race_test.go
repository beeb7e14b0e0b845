package cache

import (
	"bytes"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// A request that opened a damaged file just before its removal finished,
// and checked the digest just after, got that file back unverified (its
// record gone, so there was nothing to verify it against): damaged bytes
// served as the blob. TestDamagedBlobIsAMissAtOnceAndItsRefillStays hit
// it once in about a thousand rounds under load; here the removal is let
// finish at exactly that point.
func TestOpenDuringTheDamagedFilesRemovalIsAMiss(t *testing.T) {
	dir := t.TempDir()
	body := bytes.Repeat([]byte("damaged "), 1<<17)
	d := blobtest.Digest(body)
	s := openStore(t, dir)
	if err := s.Put(d, "", body); err != nil {
		t.Fatal(err)
	}
	s.Close()
	i, _ := idOf(d)
	path := s.blobPath(i)
	flip(t, path, 4096)
	s = openStore(t, dir)

	// The read that finds the damage is another request's, landing
	// between this Open's open(2) and its check; the removal it starts
	// finishes there too.
	testBetweenOpenAndTouch = func() {
		testBetweenOpenAndTouch = nil
		s.damaged(i, ErrCorrupt)
		awaitRemoved(t, s, path)
	}
	defer func() { testBetweenOpenAndTouch = nil }()
	if g, err := s.Open(d); !errors.Is(err, ErrNotFound) {
		if g != nil {
			g.Close()
		}
		t.Fatalf("Open whose file was removed under it: %v, want ErrNotFound", err)
	}
}

func flip(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	f.ReadAt(b, at)
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

// awaitRemoved waits until the damaged file and its condemned mark are
// gone: the removal has finished.
func awaitRemoved(t *testing.T, s *Store, path string) {
	for range 500 {
		s.mu.Lock()
		condemned := len(s.condemned)
		s.mu.Unlock()
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) && condemned == 0 {
			return
		}
		time.Sleep(2 * time.Millisecond)
	}
	t.Error("the damaged file was not removed within a second")
}
