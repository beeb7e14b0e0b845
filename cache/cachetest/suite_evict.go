package cachetest

import (
	"fmt"
	"testing"

	"github.com/hubmirror/hubmirror/cache"
)

// evict runs the evictor and fails the test on error.
func evict(t *testing.T, s *cache.Store) cache.Evicted {
	t.Helper()
	got, err := s.Evict()
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// Reading A after B and C were stored makes B the first to go, then C.
func testLRUOrder(t *testing.T, open Opener) {
	s := open(t, cache.Options{MaxSize: 3500, LowWater: 2500})
	a, b, c, d := NewBlob("a", 1000), NewBlob("b", 1000), NewBlob("c", 1000), NewBlob("d", 1000)
	for _, x := range []Blob{a, b, c} {
		Fill(t, s, x)
	}
	if !Present(s, a) {
		t.Fatal("a missing")
	}
	Fill(t, s, d) // 4000 > 3500: two must go, down to 2500
	evict(t, s)
	for name, want := range map[string]struct {
		blob Blob
		kept bool
	}{"a": {a, true}, "b": {b, false}, "c": {c, false}, "d": {d, true}} {
		if got := PresentNoTouch(s, want.blob); got != want.kept {
			t.Errorf("%s present = %v, want %v", name, got, want.kept)
		}
	}
	AssertAccounting(t, s)
}

// A sequence of fills three times the cap ends under the cap, with the
// most recently filled and read content still there.
func testCap(t *testing.T, open Opener) {
	const size, maxSize = 1000, 10_000
	s := open(t, cache.Options{MaxSize: maxSize})
	var blobs []Blob
	for n := range 3 * maxSize / size {
		b := NewBlob(fmt.Sprint("fill", n), size)
		Fill(t, s, b)
		blobs = append(blobs, b)
		if n%3 == 0 {
			evict(t, s)
		}
	}
	evict(t, s)
	if s.Used() > maxSize {
		t.Errorf("used %d after eviction, cap %d", s.Used(), maxSize)
	}
	for _, b := range blobs[len(blobs)-5:] {
		if !PresentNoTouch(s, b) {
			t.Errorf("recent blob %s was evicted", b.Digest)
		}
	}
	AssertAccounting(t, s)
}

func testPinned(t *testing.T, open Opener) {
	img := NewImage("pinned", 2, 1000)
	s := open(t, cache.Options{MaxSize: 5000, Pins: []string{"pinned:1.0"}})
	img.Store(t, s, "docker.io", "library/pinned", "1.0")
	for n := range 20 {
		Fill(t, s, NewBlob(fmt.Sprint("other", n), 1000))
		evict(t, s)
	}
	for _, b := range img.All() {
		if !PresentNoTouch(s, b) {
			t.Errorf("pinned %s was evicted", b.Digest)
		}
	}
	if s.Used() > 5000 {
		t.Errorf("used %d, cap 5000", s.Used())
	}
	AssertAccounting(t, s)
}

// The oldest digest has a fill in progress (a second copy arriving): it
// stays while the fill runs, and the fill commits fine afterwards.
func testInFlight(t *testing.T, open Opener) {
	s := open(t, cache.Options{MaxSize: 3000, LowWater: 1000})
	old := NewBlob("in-flight", 1000)
	Fill(t, s, old)
	p, err := s.Create(old.Digest, int64(len(old.Body)), "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.Write(old.Body[:500])
	for n := range 4 {
		Fill(t, s, NewBlob(fmt.Sprint("new", n), 1000))
	}
	evict(t, s)
	if !PresentNoTouch(s, old) {
		t.Fatal("a digest being filled was evicted")
	}
	p.Write(old.Body[500:])
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if !PresentNoTouch(s, old) {
		t.Error("committed content missing")
	}
	AssertAccounting(t, s)
}

// Every path that adds or removes content keeps the counters exact:
// fills, re-fills of the same digest, Put of known content, deletes,
// evictions and aborted fills.
func testAccounting(t *testing.T, open Opener) {
	s := open(t, cache.Options{MaxSize: 20_000})
	var blobs []Blob
	for n := range 40 {
		b := NewBlob(fmt.Sprint("acct", n), 500+n*10)
		Fill(t, s, b)
		blobs = append(blobs, b)
	}
	Fill(t, s, blobs[39])
	put(t, s, blobs[38], "")
	put(t, s, blobs[38], "application/vnd.oci.image.manifest.v1+json")
	s.Delete(blobs[37].Digest)
	p, _ := s.Create(NewBlob("aborted", 10).Digest, 10, "")
	p.Write([]byte("0123"))
	p.Abort()
	p.Close()
	AssertAccounting(t, s)
	evict(t, s)
	AssertAccounting(t, s)
	if st, err := s.Stats(); err != nil || st.Bytes != s.Used() || st.Entries != s.Entries() {
		t.Errorf("Stats = %+v, %v", st, err)
	}
}
