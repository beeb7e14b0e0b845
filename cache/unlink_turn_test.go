package cache

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// The unlinker waits while an eviction pass runs: a restart after a pass
// finds that pass's files still to unlink, and unlinking them during the
// next pass made it three times slower (bench scenario 10). Released in
// the middle of the second pass, the unlinker must leave the first pass's
// files alone until the pass is over, and remove them all after.
func TestUnlinkerWaitsForTheEvictionPass(t *testing.T) {
	s, release, err := OpenHeld(t.TempDir(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release(); s.Close() })
	const n, size = 10, 1000
	for k := range n {
		body := bytes.Repeat([]byte(fmt.Sprint(k)), size)
		if err := s.Put(blobtest.Digest(body), "", body); err != nil {
			t.Fatal(err)
		}
	}
	first := evictHeld(t, s, n/2*size) // its files wait at the gate
	var during int
	var once sync.Once
	testAfterWalk = func() {
		once.Do(func() {
			release()
			time.Sleep(100 * time.Millisecond) // time enough to unlink a few files
			during = doomedNow(s)
		})
	}
	defer func() { testAfterWalk = nil }()
	second := evictHeld(t, s, n/4*size)
	if during != first {
		t.Errorf("during the second pass %d of the first pass's %d files awaited unlinking; want all", during, first)
	}
	s.AwaitUnlinks()
	if left := doomedNow(s); left != 0 || second == 0 {
		t.Errorf("after both passes (%d and %d evicted): %d files still doomed", first, second, left)
	}
}

// evictHeld runs one eviction pass down to target, as the evictor does,
// and says how many files it left to the unlinker.
func evictHeld(t *testing.T, s *Store, target int64) int {
	t.Helper()
	s.maint.Lock()
	got, err := s.evictTo(target)
	s.maint.Unlock()
	if err != nil || got.Blobs == 0 {
		t.Fatalf("pass down to %d: %+v, %v", target, got, err)
	}
	s.wakeUnlinker()
	return got.Blobs
}

func doomedNow(s *Store) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.doomed)
}
