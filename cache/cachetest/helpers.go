package cachetest

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// Blob is test content with its digest.
type Blob struct {
	Body   []byte
	Digest v1.Hash
}

// NewBlob makes n bytes of content that differ by seed.
func NewBlob(seed string, n int) Blob {
	body := bytes.Repeat([]byte(seed+"."), n/(len(seed)+1)+1)[:n]
	return Blob{Body: body, Digest: blobtest.Digest(body)}
}

// NewBlobFrom is body with its digest.
func NewBlobFrom(body []byte) Blob { return Blob{Body: body, Digest: blobtest.Digest(body)} }

// Fill stores b through Create, Write and Commit, as a blob fill does.
func Fill(t testing.TB, s *cache.Store, b Blob) {
	t.Helper()
	p, err := s.Create(b.Digest, int64(len(b.Body)), "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Write(b.Body); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
}

// DiskUsage walks dir/blobs and returns the bytes and number of files.
func DiskUsage(t testing.TB, dir string) (bytes, files int64) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join(dir, "blobs"), func(_ string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		bytes += fi.Size()
		files++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return bytes, files
}

// AssertAccounting checks that the store's counters equal what is on disk.
// It flushes first, which waits out an eviction run in progress: between
// a file's removal and its record's, the two differ by design.
func AssertAccounting(t testing.TB, s *cache.Store) {
	t.Helper()
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	s.AwaitUnlinks() // evicted files count in Used until they are gone
	b, n := DiskUsage(t, s.Dir())
	if s.Used() != b || s.Entries() != n {
		t.Errorf("store accounts %d bytes in %d entries; blobs/ holds %d bytes in %d files", s.Used(), s.Entries(), b, n)
	}
	if data := partialData(t, s.Dir()); s.PartialBytes() > data {
		t.Errorf("store accounts %d bytes of partial fills; their files hold %d", s.PartialBytes(), data)
	}
}

// partialData is the bytes in partial fills' data files (not their maps).
func partialData(t testing.TB, dir string) int64 {
	t.Helper()
	var n int64
	for _, name := range Temps(t, dir) {
		if rest, ok := strings.CutPrefix(name, "partial/"); ok && !strings.Contains(rest, ".") {
			fi, err := os.Stat(filepath.Join(dir, "tmp", name))
			if err != nil {
				t.Fatal(err)
			}
			n += fi.Size()
		}
	}
	return n
}

// Temps lists the files under dir/tmp: temp files, and partial fills'
// files and maps (as "partial/<name>"). The partial area itself is not
// listed: it exists while the store does.
func Temps(t testing.TB, dir string) []string {
	t.Helper()
	var names []string
	root := filepath.Join(dir, "tmp")
	err := filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(root, path)
		names = append(names, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// Present reports whether b can be opened; that counts as an access.
func Present(s *cache.Store, b Blob) bool {
	f, err := s.Open(b.Digest)
	if err != nil {
		return false
	}
	f.Close()
	return true
}

// PresentNoTouch reports whether b is stored, without counting an access.
func PresentNoTouch(s *cache.Store, b Blob) bool {
	d := b.Digest
	_, err := s.Stat(d)
	if err != nil {
		return false
	}
	_, err = os.Stat(cache.BlobPath(s.Dir(), d))
	return err == nil
}

// Image is a small image: config, layers, manifest and an index over it.
type Image struct {
	Config, Manifest, Index Blob
	Layers                  []Blob
}

// NewImage builds an image whose blobs are each size bytes.
func NewImage(seed string, layers, size int) Image {
	img := Image{Config: NewBlob(seed+"-config", size)}
	man := v1.Manifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.manifest.v1+json",
		Config: v1.Descriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: img.Config.Digest, Size: int64(size)}}
	for n := range layers {
		l := NewBlob(seed+"-layer"+string(rune('a'+n)), size)
		img.Layers = append(img.Layers, l)
		man.Layers = append(man.Layers, v1.Descriptor{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: l.Digest, Size: int64(size)})
	}
	img.Manifest = jsonBlob(man)
	img.Index = jsonBlob(v1.IndexManifest{SchemaVersion: 2, MediaType: "application/vnd.oci.image.index.v1+json",
		Manifests: []v1.Descriptor{{MediaType: man.MediaType, Digest: img.Manifest.Digest, Size: int64(len(img.Manifest.Body))}}})
	return img
}

func jsonBlob(v any) Blob {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return Blob{Body: b, Digest: blobtest.Digest(b)}
}

// Store puts every part of img and tags its index as upstream/repo:tag.
func (img Image) Store(t testing.TB, s *cache.Store, upstream, repo, tag string) {
	t.Helper()
	for _, b := range append([]Blob{img.Config}, img.Layers...) {
		Fill(t, s, b)
	}
	put(t, s, img.Manifest, "application/vnd.oci.image.manifest.v1+json")
	put(t, s, img.Index, "application/vnd.oci.image.index.v1+json")
	if err := s.SetTag(upstream, repo, tag, cache.Tag{Digest: img.Index.Digest, MediaType: "application/vnd.oci.image.index.v1+json"}); err != nil {
		t.Fatal(err)
	}
}

// All is every digest of the image.
func (img Image) All() []Blob {
	return append([]Blob{img.Index, img.Manifest, img.Config}, img.Layers...)
}

func put(t testing.TB, s *cache.Store, b Blob, mediaType string) {
	t.Helper()
	if err := s.Put(b.Digest, mediaType, b.Body); err != nil {
		t.Fatal(err)
	}
}
