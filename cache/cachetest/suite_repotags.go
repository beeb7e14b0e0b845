package cachetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/cache"
)

// A repository's tags are its own: not those of a repository whose name
// starts the same, nor of the same name on another registry.
func testRepoTags(t *testing.T, open Opener) {
	s := open(t, cache.Options{})
	for _, k := range [][3]string{
		{"ghcr.io", "owner/tool", "v2"}, {"ghcr.io", "owner/tool", "v10"}, {"ghcr.io", "owner/tool", "latest"},
		{"ghcr.io", "owner/tool-x", "v1"}, {"ghcr.io", "owner/tool/sub", "v1"}, {"docker.io", "owner/tool", "hub"},
	} {
		if err := s.SetTag(k[0], k[1], k[2], cache.Tag{}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.RepoTags("ghcr.io", "owner/tool")
	if want := []string{"latest", "v10", "v2"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("RepoTags = %v, %v; want %v", got, err, want)
	}
	if none, err := s.RepoTags("ghcr.io", "owner/none"); err != nil || none == nil || len(none) != 0 {
		t.Errorf("RepoTags of an unknown repository = %#v, %v; want an empty list", none, err)
	}
}

func testReferrers(t *testing.T, open Opener) {
	s := open(t, cache.Options{})
	subject, index := NewBlob("subject", 10).Digest, NewBlob("index", 10).Digest
	at := time.Now().UTC().Truncate(time.Millisecond)
	want := cache.Tag{Digest: index, MediaType: "application/vnd.oci.image.index.v1+json", FetchedAt: at}
	if err := s.SetReferrers("ghcr.io", "owner/tool", subject, want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Referrers("ghcr.io", "owner/tool", subject)
	if err != nil || got.Digest != index || !got.FetchedAt.Equal(at) || got.MediaType != want.MediaType {
		t.Errorf("Referrers = %+v, %v", got, err)
	}
	if _, err := s.Referrers("docker.io", "owner/tool", subject); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("another registry's referrers: %v, want ErrNotFound", err)
	}
	// Referrers are not tags: they appear in no tag list or catalog.
	if tags, _ := s.RepoTags("ghcr.io", "owner/tool"); len(tags) != 0 {
		t.Errorf("referrers listed as tags %v", tags)
	}
	if repos, _ := s.Repositories("ghcr.io", "", 0); len(repos) != 0 {
		t.Errorf("referrers listed a repository %v", repos)
	}
}
