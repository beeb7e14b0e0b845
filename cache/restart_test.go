package cache_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
	"github.com/hubmirror/hubmirror/internal/blobtest"
)

func mustOpen(t *testing.T, dir string, o cache.Options) *cache.Store {
	t.Helper()
	s, err := cache.OpenWithOptions(dir, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// crash makes dir look like a process died holding it: the clean-shutdown
// marker is what Close leaves behind, and a crash does not.
func crash(t *testing.T, dir string) {
	t.Helper()
	if err := os.Remove(filepath.Join(dir, "clean")); err != nil {
		t.Fatal(err)
	}
}

func TestLRUOrderAndAccountingSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	a, b, c := cachetest.NewBlob("a", 1000), cachetest.NewBlob("b", 1000), cachetest.NewBlob("c", 1000)
	for _, x := range []cachetest.Blob{a, b, c} {
		cachetest.Fill(t, s, x)
	}
	cachetest.Present(s, a) // only in memory until Close flushes it
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = mustOpen(t, dir, cache.Options{})
	cachetest.AssertAccounting(t, s)
	if s.Used() != 3000 {
		t.Fatalf("used after restart = %d", s.Used())
	}
	s.Close()
	s = mustOpen(t, dir, cache.Options{MaxSize: 2500, LowWater: 2000})
	if _, err := s.Evict(); err != nil { // or the run Open started
		t.Fatal(err)
	}
	if !cachetest.PresentNoTouch(s, a) || cachetest.PresentNoTouch(s, b) || !cachetest.PresentNoTouch(s, c) {
		t.Error("the read before the restart did not count: want b evicted, a and c kept")
	}
}

func TestSecondOpenOfADirInUseFails(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	if _, err := cache.OpenWithOptions(dir, cache.Options{}); !errors.Is(err, cache.ErrInUse) {
		t.Fatalf("second Open = %v, want ErrInUse", err)
	}
	s.Close()
	mustOpen(t, dir, cache.Options{})
}

// A file with no record is what a crash between rename and index write
// leaves: verified bytes, adopted after a re-hash, manifests with their
// media type recovered from the document.
func TestOrphanFileIsAdoptedAfterACrash(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir, cache.Options{}).Close()
	crash(t, dir)
	img := cachetest.NewImage("orphan", 1, 100)
	for _, b := range []cachetest.Blob{img.Manifest, img.Layers[0]} {
		os.MkdirAll(filepath.Dir(cache.BlobPath(dir, b.Digest)), 0o755)
		if err := os.WriteFile(cache.BlobPath(dir, b.Digest), b.Body, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := mustOpen(t, dir, cache.Options{})
	body, meta, err := s.ReadAll(img.Manifest.Digest)
	if err != nil || !bytes.Equal(body, img.Manifest.Body) || meta.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Fatalf("adopted manifest: %+v, %v", meta, err)
	}
	if m, err := s.Stat(img.Layers[0].Digest); err != nil || m.Size != 100 || m.MediaType != "" {
		t.Errorf("adopted layer: %+v, %v", m, err)
	}
	cachetest.AssertAccounting(t, s)
}

func TestOrphanFileWithWrongContentIsRemoved(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir, cache.Options{}).Close()
	crash(t, dir)
	b := cachetest.NewBlob("liar", 100)
	path := cache.BlobPath(dir, b.Digest)
	os.MkdirAll(filepath.Dir(path), 0o755)
	os.WriteFile(path, []byte("not what the name says"), 0o644)
	junk := filepath.Join(filepath.Dir(path), "not-a-digest")
	os.WriteFile(junk, nil, 0o644)
	s := mustOpen(t, dir, cache.Options{})
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("wrong-content orphan still on disk: %v", err)
	}
	if _, err := os.Stat(junk); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("junk file still on disk: %v", err)
	}
	if _, err := s.Open(b.Digest); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Open = %v", err)
	}
	cachetest.AssertAccounting(t, s)
}

func TestRecordWithoutFileIsDroppedAfterACrash(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	gone, kept := cachetest.NewBlob("gone", 100), cachetest.NewBlob("kept", 200)
	cachetest.Fill(t, s, gone)
	cachetest.Fill(t, s, kept)
	s.Close()
	crash(t, dir)
	os.Remove(cache.BlobPath(dir, gone.Digest))
	s = mustOpen(t, dir, cache.Options{})
	if _, err := s.Stat(gone.Digest); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Stat of a record without file = %v", err)
	}
	if s.Used() != 200 || s.Entries() != 1 {
		t.Errorf("used %d in %d entries, want 200 in 1", s.Used(), s.Entries())
	}
	cachetest.AssertAccounting(t, s)
}

func TestVerifyRemovesAlteredAndTruncatedBlobs(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	good, flipped, short := cachetest.NewBlob("good", 500), cachetest.NewBlob("flipped", 500), cachetest.NewBlob("short", 500)
	for _, b := range []cachetest.Blob{good, flipped, short} {
		cachetest.Fill(t, s, b)
	}
	altered := bytes.Clone(flipped.Body)
	altered[100] ^= 0xff
	os.WriteFile(cache.BlobPath(dir, flipped.Digest), altered, 0o644)
	os.Truncate(cache.BlobPath(dir, short.Digest), 10)
	var reported []string
	got, err := s.Verify(func(d v1.Hash, problem error) {
		if !errors.Is(problem, cache.ErrCorrupt) {
			t.Errorf("%s: %v, want ErrCorrupt", d, problem)
		}
		reported = append(reported, d.String())
	})
	if err != nil || got.Checked != 3 || got.Corrupt != 2 || len(reported) != 2 {
		t.Fatalf("Verify = %+v, %v (reported %v)", got, err, reported)
	}
	for _, b := range []cachetest.Blob{flipped, short} {
		if _, err := s.Open(b.Digest); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("corrupt blob still served: %v", err)
		}
	}
	if !cachetest.PresentNoTouch(s, good) {
		t.Error("good blob removed")
	}
	cachetest.AssertAccounting(t, s)
	if again, _ := s.Verify(nil); again.Corrupt != 0 || again.Checked != 1 {
		t.Errorf("second Verify = %+v", again)
	}
}

// closedWithOneBlob is a data dir closed cleanly after one Put of body.
func closedWithOneBlob(t *testing.T, body []byte) string {
	t.Helper()
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	if err := s.Put(blobtest.Digest(body), "", body); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCleanRestartTakesTheTotalsFromTheMarker(t *testing.T) {
	body := []byte("some content")
	dir := closedWithOneBlob(t, body)
	marker, err := os.ReadFile(filepath.Join(dir, "clean"))
	if err != nil {
		t.Fatal(err)
	}
	var got struct{ Used, Entries int64 }
	if err := json.Unmarshal(marker, &got); err != nil || got.Used != int64(len(body)) || got.Entries != 1 {
		t.Fatalf("clean marker %q (%v): want 1 entry of %d bytes", marker, err, len(body))
	}
	// Totals the index does not have show that Open read the marker and
	// not the records: a million records took most of a clean start.
	if err := os.WriteFile(filepath.Join(dir, "clean"), []byte(`{"used":4096,"entries":7}`), 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, dir, cache.Options{})
	if s.Used() != 4096 || s.Entries() != 7 {
		t.Fatalf("after a clean restart: %d entries, %d bytes; want the marker's 7, 4096", s.Entries(), s.Used())
	}
}

func TestCleanMarkerWithoutTotalsMeansCounting(t *testing.T) {
	body := []byte("some content")
	dir := closedWithOneBlob(t, body)
	// The marker an older release wrote is empty.
	if err := os.WriteFile(filepath.Join(dir, "clean"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	s := mustOpen(t, dir, cache.Options{})
	if s.Used() != int64(len(body)) || s.Entries() != 1 {
		t.Fatalf("after a restart from an empty marker: %d entries, %d bytes", s.Entries(), s.Used())
	}
}
