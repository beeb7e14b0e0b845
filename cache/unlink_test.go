package cache_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
)

const (
	unlinkBlobs = 10
	unlinkSize  = 4096
	unlinkCap   = 6 * unlinkSize // a pass evicts down to 90 %: 5 blobs stay
)

func unlinkBlob(n int) cachetest.Blob { return cachetest.NewBlob(fmt.Sprint("unlink", n), unlinkSize) }

// filledUncapped stores unlinkBlobs blobs with no cap and closes the store;
// reopened under unlinkCap, the first filled are least recently used.
func filledUncapped(t *testing.T) string {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	for n := range unlinkBlobs {
		cachetest.Fill(t, s, unlinkBlob(n))
		s.Flush()
	}
	s.Close()
	return dir
}

// openHeldAndEvict reopens dir under the cap with the unlinker held, runs
// the evictor's pass and returns the evicted blobs.
func openHeldAndEvict(t *testing.T, dir string) (*cache.Store, func(), []cachetest.Blob) {
	t.Helper()
	s, release, err := cache.OpenHeld(dir, cache.Options{MaxSize: unlinkCap})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { release(); s.Close() })
	if _, err := cache.EvictPass(s); err != nil { // after any the open woke
		t.Fatal(err)
	}
	var evicted []cachetest.Blob
	for n := range unlinkBlobs {
		if _, err := s.Stat(unlinkBlob(n).Digest); errors.Is(err, cache.ErrNotFound) {
			evicted = append(evicted, unlinkBlob(n))
		}
	}
	if len(evicted) == 0 {
		t.Fatal("the pass evicted nothing")
	}
	return s, release, evicted
}

// The pass removes records only: the files stay, still counted in Used,
// yet none is served; the unlinker then removes them and Used drops.
func TestEvictionPassLeavesFilesToTheUnlinker(t *testing.T) {
	s, release, evicted := openHeldAndEvict(t, filledUncapped(t))
	bytes, files := cachetest.DiskUsage(t, s.Dir())
	if files != unlinkBlobs || cache.DoomedFiles(s) != len(evicted) || s.Used() != bytes {
		t.Fatalf("after the pass: %d files on disk, %d doomed, used %d of %d on disk; want all %d files kept and counted",
			files, cache.DoomedFiles(s), s.Used(), bytes, unlinkBlobs)
	}
	for _, b := range evicted {
		if _, err := s.Open(b.Digest); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("evicted blob served while awaiting its unlink: %v", err)
		}
	}
	release()
	cachetest.AssertAccounting(t, s)
	if _, files := cachetest.DiskUsage(t, s.Dir()); files != int64(unlinkBlobs-len(evicted)) || s.Used() > unlinkCap {
		t.Errorf("after the unlinks: %d files, used %d; want %d files under the cap %d", files, s.Used(), unlinkBlobs-len(evicted), unlinkCap)
	}
}

// A fill of an evicted digest whose file awaits the unlinker removes the
// old file itself first: the unlinker, released later, leaves the new one.
func TestFillOfADoomedDigestSurvivesTheUnlinker(t *testing.T) {
	s, release, evicted := openHeldAndEvict(t, filledUncapped(t))
	again := evicted[0]
	cachetest.Fill(t, s, again)
	release()
	s.AwaitUnlinks()
	if !cachetest.Present(s, again) {
		t.Fatal("the refilled blob is gone after the unlinker ran")
	}
	cachetest.AssertAccounting(t, s)
}

// A clean Close with unlinks pending leaves tombstones; the next Open
// counts their files in Used, serves none of them, and finishes them.
func TestCloseWithUnlinksPendingRestartsClean(t *testing.T) {
	dir := filledUncapped(t)
	s, release, evicted := openHeldAndEvict(t, dir)
	left := s.Entries()
	s.Close()
	release()
	s = mustOpen(t, dir, cache.Options{MaxSize: unlinkCap})
	checkRestartAfterPass(t, s, evicted, left)
}

// SIGKILLed between the pass and its unlinks, the store restarts with the
// evicted files neither adopted (re-hashed) nor served, and removes them.
func TestKilledBetweenEvictionPassAndUnlinksRestartsClean(t *testing.T) {
	dir := filledUncapped(t)
	kill(t, startHelper(t, "evict-held", dir))
	s := mustOpen(t, dir, cache.Options{MaxSize: unlinkCap})
	var evicted []cachetest.Blob
	for n := range unlinkBlobs - unlinkCap*9/10/unlinkSize {
		evicted = append(evicted, unlinkBlob(n))
	}
	checkRestartAfterPass(t, s, evicted, unlinkBlobs-int64(len(evicted)))
}

func checkRestartAfterPass(t *testing.T, s *cache.Store, evicted []cachetest.Blob, left int64) {
	t.Helper()
	for _, b := range evicted {
		if _, err := s.Stat(b.Digest); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("evicted blob indexed again after restart: %v", err)
		}
	}
	cachetest.AssertAccounting(t, s)
	if s.Entries() != left {
		t.Errorf("%d entries after restart, want the %d the pass left", s.Entries(), left)
	}
	if _, files := cachetest.DiskUsage(t, s.Dir()); files != left {
		t.Errorf("%d files after restart, want %d", files, left)
	}
}

// helperEvictHeld runs one eviction pass with the unlinker held, says so,
// and waits to be killed.
func helperEvictHeld(t *testing.T, dir string) {
	s, _, err := cache.OpenHeld(dir, cache.Options{MaxSize: unlinkCap})
	if err != nil {
		fmt.Println("open:", err)
		return
	}
	if _, err := cache.EvictPass(s); err != nil {
		fmt.Println("evict:", err)
		return
	}
	fmt.Println("ready")
}
