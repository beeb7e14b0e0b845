package cache_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
)

const piece = 64 << 10

// writePieces writes b's pieces with the given indexes at their offsets.
func writePieces(t *testing.T, p cache.Pending, b cachetest.Blob, idx ...int) {
	t.Helper()
	for _, i := range idx {
		from, to := i*piece, min((i+1)*piece, len(b.Body))
		if _, err := p.WriteAt(b.Body[from:to], int64(from)); err != nil {
			t.Fatal(err)
		}
	}
}

// Pieces written out of order and shelved survive a restart as a partial
// fill: counted, never visible as the blob, and continued by Resume from
// exactly the gaps, after which the blob verifies and nothing is left.
func TestPartialFillSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	b := cachetest.NewBlob("pieces", 4*piece+100)
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Create(b.Digest, int64(len(b.Body)), "")
	if err != nil {
		t.Fatal(err)
	}
	writePieces(t, p, b, 2, 0, 4)
	p.Shelve()
	p.Close()
	s.Close()

	s = mustOpen(t, dir, cache.Options{})
	if _, err := s.Open(b.Digest); !errors.Is(err, cache.ErrNotFound) {
		t.Fatalf("a partial fill is visible as the blob: %v", err)
	}
	if got, want := s.PartialBytes(), int64(2*piece+100); got != want {
		t.Errorf("PartialBytes = %d after restart, want %d", got, want)
	}
	cachetest.AssertAccounting(t, s)
	p, err = s.Resume(b.Digest, "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	want := []cache.Span{{From: piece, To: 2 * piece}, {From: 3 * piece, To: 4 * piece}}
	if got := p.Missing(); !slices.Equal(got, want) {
		t.Fatalf("Missing = %v, want %v", got, want)
	}
	if _, err := s.Resume(b.Digest, ""); err == nil {
		t.Fatal("a partial was resumed twice at once")
	}
	writePieces(t, p, b, 3, 1)
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if !cachetest.Present(s, b) || s.PartialBytes() != 0 {
		t.Errorf("after the commit: present %v, partial bytes %d", cachetest.Present(s, b), s.PartialBytes())
	}
	if left := cachetest.Temps(t, dir); len(left) != 0 {
		t.Errorf("left in tmp/: %v", left)
	}
	cachetest.AssertAccounting(t, s)
}

// A range reader gets a later piece's bytes as soon as they are written,
// with the prefix still empty; an in-order reader waits for the prefix.
func TestRangeReaderReadsAPieceAsItArrives(t *testing.T) {
	s := mustOpen(t, t.TempDir(), cache.Options{})
	b := cachetest.NewBlob("range", 3*piece)
	p, err := s.Create(b.Digest, int64(len(b.Body)), "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	writePieces(t, p, b, 2)
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	got, _ := io.ReadAll(p.NewRangeReader(cancelled, 2*piece+10, 3*piece, false))
	if !slices.Equal(got, b.Body[2*piece+10:]) {
		t.Errorf("range of the last piece: %d bytes", len(got))
	}
	got, _ = io.ReadAll(p.NewRangeReader(cancelled, 2*piece, 3*piece, true))
	if len(got) != piece-1 {
		t.Errorf("a range that completes the blob read %d bytes before verification, want all but the last", len(got))
	}
	if got, _ := io.ReadAll(p.NewReader(cancelled, 0)); len(got) != 0 {
		t.Errorf("in-order reader read %d bytes with the prefix missing", len(got))
	}
	writePieces(t, p, b, 1, 0)
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	got, err = io.ReadAll(p.NewReader(context.Background(), 0))
	if err != nil || !slices.Equal(got, b.Body) {
		t.Errorf("after the pieces joined: %d bytes, %v", len(got), err)
	}
}

// Shelved partial fills count against the cap and are evicted before any
// content; past the age limit they go even under the cap.
func TestPartialFillsAreEvictedFirst(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{MaxSize: 6 * piece, LowWater: 5 * piece})
	kept := cachetest.NewBlob("kept", 4*piece)
	cachetest.Fill(t, s, kept)
	shelve(t, s, cachetest.NewBlob("partial", 4*piece), 0, 1, 2)
	// Shelving woke the evictor, which may have run already.
	if _, err := s.Evict(); err != nil || s.Evictions() != 0 {
		t.Fatalf("Evict: %v, %d blobs evicted; want only the partial fill removed", err, s.Evictions())
	}
	if !cachetest.Present(s, kept) || s.PartialBytes() != 0 || len(cachetest.Temps(t, dir)) != 0 {
		t.Fatalf("after eviction: blob present %v, %d partial bytes, tmp/ %v", cachetest.Present(s, kept), s.PartialBytes(), cachetest.Temps(t, dir))
	}

	old := mustOpen(t, t.TempDir(), cache.Options{PartialMaxAge: time.Nanosecond})
	shelve(t, old, cachetest.NewBlob("old", 2*piece), 0)
	if got, err := old.Evict(); err != nil || got.PartialBytes != piece {
		t.Errorf("Evict under no cap = %+v, %v; want the old partial fill removed", got, err)
	}
}

func shelve(t *testing.T, s *cache.Store, b cachetest.Blob, idx ...int) {
	t.Helper()
	p, err := s.Create(b.Digest, int64(len(b.Body)), "")
	if err != nil {
		t.Fatal(err)
	}
	writePieces(t, p, b, idx...)
	p.Shelve()
	p.Close()
}

// A partial whose map is dated in the future (the clock was set back
// since it was saved) ages from the start, not from that future time: it
// is not kept past the age limit by the size of the jump.
func TestPartialFromTheFutureAgesFromNow(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	b := cachetest.NewBlob("future", 2*piece)
	shelve(t, s, b, 0)
	s.Close()
	future := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "tmp", "partial", b.Digest.Hex+".map"), future, future); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, cache.Options{PartialMaxAge: time.Nanosecond})
	if got, err := s.Evict(); err != nil || got.PartialBytes != piece {
		t.Errorf("Evict = %+v, %v; want the partial dated an hour ahead removed as past the age limit", got, err)
	}
}
