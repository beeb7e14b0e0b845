package cache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenWithOptions(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestPutThenReadBack(t *testing.T) {
	s := openStore(t, t.TempDir())
	body := []byte(`{"schemaVersion":2}`)
	d := blobtest.Digest(body)
	if err := s.Put(d, "application/vnd.oci.image.manifest.v1+json", body); err != nil {
		t.Fatal(err)
	}
	got, meta, err := s.ReadAll(d)
	if err != nil || !bytes.Equal(got, body) {
		t.Fatalf("ReadAll = %q, %v", got, err)
	}
	if meta.Size != int64(len(body)) || meta.MediaType != "application/vnd.oci.image.manifest.v1+json" {
		t.Errorf("meta = %+v", meta)
	}
	f, err := s.Open(d)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if b, _ := io.ReadAll(f); !bytes.Equal(b, body) {
		t.Errorf("Open read %q", b)
	}
	// The blob must be the file itself, or serving it loses sendfile.
	file, ok := f.(*os.File)
	if !ok {
		t.Fatalf("Open returned a %T, not the file", f)
	}
	if want := BlobPath(s.Dir(), d); file.Name() != want {
		t.Errorf("stored at %s, want %s", file.Name(), want)
	}
}

func TestMissingContentIsNotFound(t *testing.T) {
	s := openStore(t, t.TempDir())
	d := blobtest.Digest([]byte("never stored"))
	if _, err := s.Open(d); !errors.Is(err, ErrNotFound) {
		t.Errorf("Open: %v, want ErrNotFound", err)
	}
	if _, _, err := s.ReadAll(d); !errors.Is(err, ErrNotFound) {
		t.Errorf("ReadAll: %v, want ErrNotFound", err)
	}
	if _, err := s.Tag("docker.io", "library/alpine", "latest"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Tag: %v, want ErrNotFound", err)
	}
}

// Content that does not hash to its digest, or has the wrong length, must
// never become visible, and must leave no temp file behind.
func TestCommitRefusesCorruptContent(t *testing.T) {
	good := bytes.Repeat([]byte("layer"), 1000)
	d := blobtest.Digest(good)
	flipped := bytes.Clone(good)
	flipped[10] ^= 1
	cases := map[string]struct {
		size int64
		body []byte
	}{
		"wrong bytes":          {int64(len(good)), flipped},
		"short":                {int64(len(good)), good[:100]},
		"unknown size, wrong":  {-1, flipped},
		"longer than promised": {100, good},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			s := openStore(t, t.TempDir())
			p, err := s.Create(d, tc.size, "")
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			_, werr := p.Write(tc.body)
			cerr := p.Commit()
			if werr == nil && !errors.Is(cerr, ErrCorrupt) {
				t.Fatalf("Commit = %v, want ErrCorrupt", cerr)
			}
			if werr != nil {
				p.Abort()
			}
			if _, err := s.Open(d); !errors.Is(err, ErrNotFound) {
				t.Errorf("corrupt content visible: %v", err)
			}
			assertNoTemps(t, s.Dir())
		})
	}
}

func TestTempFilesFromACrashAreRemovedAtOpen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	p, err := s.Create(blobtest.Digest([]byte("x")), 1, "")
	if err != nil {
		t.Fatal(err)
	}
	p.Write([]byte("half"[:1]))
	p.Close() // the process "dies" here: no Commit, no Abort
	s.Close()
	openStore(t, dir)
	assertNoTemps(t, dir)
}

func TestTagsAndContentSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	body := []byte("manifest")
	d := blobtest.Digest(body)
	if err := s.Put(d, "application/vnd.docker.distribution.manifest.v2+json", body); err != nil {
		t.Fatal(err)
	}
	at := time.Now().UTC().Truncate(time.Second)
	want := Tag{Digest: d, MediaType: "application/vnd.docker.distribution.manifest.v2+json", FetchedAt: at}
	if err := s.SetTag("docker.io", "library/alpine", "3.20", want); err != nil {
		t.Fatal(err)
	}
	s.Close()

	s = openStore(t, dir)
	got, err := s.Tag("docker.io", "library/alpine", "3.20")
	if err != nil || got.Digest != want.Digest || !got.FetchedAt.Equal(at) || got.MediaType != want.MediaType {
		t.Fatalf("Tag after restart = %+v, %v; want %+v", got, err, want)
	}
	if _, err := s.Tag("ghcr.io", "library/alpine", "3.20"); !errors.Is(err, ErrNotFound) {
		t.Errorf("tags must be kept per upstream, got %v", err)
	}
	if b, _, err := s.ReadAll(d); err != nil || !bytes.Equal(b, body) {
		t.Errorf("content after restart = %q, %v", b, err)
	}
}

// A reader following the pending file keeps reading after Commit renames
// it: that is how fill followers finish their stream.
func TestPendingFileReadableAcrossCommit(t *testing.T) {
	s := openStore(t, t.TempDir())
	body := bytes.Repeat([]byte{7}, 4096)
	d := blobtest.Digest(body)
	p, err := s.Create(d, int64(len(body)), "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	r := p.NewReader(context.Background(), 0)
	if _, err := p.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, err := io.ReadAll(r); err != nil || !bytes.Equal(got, body) {
		t.Fatalf("read after commit: %d bytes, %v", len(got), err)
	}
	assertNoTemps(t, s.Dir())
}

func assertNoTemps(t *testing.T, dir string) {
	t.Helper()
	var left []string
	filepath.WalkDir(filepath.Join(dir, "tmp"), func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() {
			left = append(left, path)
		}
		return err
	})
	if len(left) != 0 {
		t.Errorf("temp files left behind: %v", left)
	}
}

// A warm hit writes nothing to the index; the flusher then writes the
// digest's record once, however many reads there were.
func TestReadsAreCoalescedIntoOneIndexWrite(t *testing.T) {
	s := openStore(t, t.TempDir())
	body := []byte("hot layer")
	d := blobtest.Digest(body)
	if err := s.Put(d, "", body); err != nil {
		t.Fatal(err)
	}
	version := func() uint64 {
		var v uint64
		s.db.View(func(txn *badger.Txn) error {
			item, err := txn.Get(contentKey(mustID(t, d)))
			if err == nil {
				v = item.Version()
			}
			return err
		})
		return v
	}
	before := version()
	for range 100 {
		f, err := s.Open(d)
		if err != nil {
			t.Fatal(err)
		}
		f.Close()
		s.ReadAll(d)
	}
	if got := version(); got != before {
		t.Fatalf("reads wrote the index: version %d → %d", before, got)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	once := version()
	if once == before {
		t.Fatal("flush did not record the reads")
	}
	if err := s.Flush(); err != nil || version() != once {
		t.Errorf("a flush with no reads wrote again (%v)", err)
	}
}

func mustID(t *testing.T, d v1.Hash) id {
	i, ok := idOf(d)
	if !ok {
		t.Fatalf("bad digest %s", d)
	}
	return i
}
