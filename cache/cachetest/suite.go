package cachetest

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/cache"
)

// Opener opens a fresh, empty store with o, and closes it when t ends.
type Opener func(t *testing.T, o cache.Options) *cache.Store

// Run runs the conformance suite against stores that open returns.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(*testing.T, Opener)
	}{
		{"PutOpenDelete", testPutOpenDelete},
		{"FillThroughPending", testFillThroughPending},
		{"Tags", testTags},
		{"Repositories", testRepositories},
		{"RepoTags", testRepoTags},
		{"Referrers", testReferrers},
		{"LRUOrder", testLRUOrder},
		{"CapAfterFillsLargerThanCap", testCap},
		{"PinnedContentSurvives", testPinned},
		{"InFlightDigestSurvives", testInFlight},
		{"AccountingEqualsDisk", testAccounting},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

func testPutOpenDelete(t *testing.T, open Opener) {
	s := open(t, cache.Options{})
	b := NewBlob("manifest", 300)
	put(t, s, b, "application/vnd.oci.image.manifest.v1+json")
	got, meta, err := s.ReadAll(b.Digest)
	if err != nil || !bytes.Equal(got, b.Body) || meta.MediaType != "application/vnd.oci.image.manifest.v1+json" || meta.Size != 300 {
		t.Fatalf("ReadAll = %d bytes, %+v, %v", len(got), meta, err)
	}
	f, err := s.Open(b.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := s.Delete(b.Digest); err != nil {
		t.Fatal(err)
	}
	if rest, _ := io.ReadAll(f); !bytes.Equal(rest, b.Body) {
		t.Error("a file open before Delete must keep reading")
	}
	if _, err := s.Open(b.Digest); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("Open after Delete: %v", err)
	}
	if _, _, err := s.ReadAll(b.Digest); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("ReadAll after Delete: %v", err)
	}
	if err := s.Delete(b.Digest); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("second Delete: %v", err)
	}
	AssertAccounting(t, s)
}

func testFillThroughPending(t *testing.T, open Opener) {
	s := open(t, cache.Options{})
	b := NewBlob("layer", 64<<10)
	Fill(t, s, b)
	f, err := s.Open(b.Digest)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got, _ := io.ReadAll(f); !bytes.Equal(got, b.Body) {
		t.Error("content differs")
	}
	if m, err := s.Stat(b.Digest); err != nil || m.Size != int64(len(b.Body)) || m.Created.IsZero() {
		t.Errorf("Stat = %+v, %v", m, err)
	}
	AssertAccounting(t, s)
}

func testTags(t *testing.T, open Opener) {
	s := open(t, cache.Options{})
	d := NewBlob("m", 10).Digest
	at := time.Now().UTC().Truncate(time.Millisecond)
	want := cache.Tag{Digest: d, MediaType: "application/vnd.oci.image.index.v1+json", FetchedAt: at}
	if err := s.SetTag("docker.io", "library/alpine", "3.20", want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Tag("docker.io", "library/alpine", "3.20")
	if err != nil || got.Digest != d || !got.FetchedAt.Equal(at) || got.MediaType != want.MediaType {
		t.Fatalf("Tag = %+v, %v", got, err)
	}
	for _, miss := range [][3]string{{"ghcr.io", "library/alpine", "3.20"}, {"docker.io", "library/alpine", "3.2"}, {"docker.io", "library/alpin", "3.20"}} {
		if _, err := s.Tag(miss[0], miss[1], miss[2]); !errors.Is(err, cache.ErrNotFound) {
			t.Errorf("Tag%v = %v, want ErrNotFound", miss, err)
		}
	}
	moved := NewBlob("m2", 10).Digest
	if err := s.SetTag("docker.io", "library/alpine", "3.20", cache.Tag{Digest: moved}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Tag("docker.io", "library/alpine", "3.20"); got.Digest != moved {
		t.Errorf("a tag that moved resolves to %s", got.Digest)
	}
}

func testRepositories(t *testing.T, open Opener) {
	s := open(t, cache.Options{})
	repos := []string{"library/alpine", "library/alpine-x", "library/alpine/sub", "a/b", "library/busybox"}
	for _, r := range repos {
		for _, tag := range []string{"1", "2"} {
			if err := s.SetTag("docker.io", r, tag, cache.Tag{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.SetTag("ghcr.io", "other/repo", "1", cache.Tag{})
	slices.Sort(repos)
	all, err := s.Repositories("docker.io", "", 0)
	if err != nil || !slices.Equal(all, repos) {
		t.Fatalf("Repositories = %v, %v; want %v", all, err, repos)
	}
	var paged []string
	for last := ""; ; {
		page, err := s.Repositories("docker.io", last, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		last = page[len(page)-1]
	}
	if !slices.Equal(paged, repos) {
		t.Errorf("paged = %v", paged)
	}
	if got, _ := s.Repositories("ghcr.io", "", 0); !slices.Equal(got, []string{"other/repo"}) {
		t.Errorf("ghcr.io repositories = %v", got)
	}
}
