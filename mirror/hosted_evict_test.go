package mirror_test

import (
	"fmt"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Under a small --cache-max-size, pulling mirrored images of twice the cap
// evicts only mirrored content: the hosted image, pushed with
// go-containerregistry (crane's library) and larger than the cap itself,
// still pulls whole with its digest, and upstream sees none of it.
func TestHostedSurvivesEvictionOfMirroredContent(t *testing.T) {
	const cap = 256 << 10
	hub := upstreamtest.New(t, upstreamtest.Options{})
	for i := range 5 {
		img, err := upstreamtest.Image(2, 52<<10, false) // ~2x the cap in all
		if err != nil {
			t.Fatal(err)
		}
		hub.AddImage(fmt.Sprintf("library/img%d", i), "latest", img)
	}
	_, m := startHostedOn(t, hub, setup{maxSize: cap})
	host := m.url[len("http://"):]
	own, err := upstreamtest.Image(3, 120<<10, false)
	if err != nil {
		t.Fatal(err)
	}
	ownRef, _ := name.ParseReference(host+"/team/app:1", name.Insecure)
	if err := remote.Write(ownRef, own); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ref, _ := name.ParseReference(fmt.Sprintf("%s/library/img%d:latest", host, i), name.Insecure)
		img, err := remote.Image(ref)
		if err == nil {
			err = validate.Image(img)
		}
		if err != nil {
			t.Fatalf("pull img%d: %v", i, err)
		}
	}
	if _, err := m.store.Evict(); err != nil {
		t.Fatal(err)
	}
	if m.store.Evictions() == 0 {
		t.Fatal("nothing was evicted: the test proves nothing")
	}
	if m.store.HostedSize() < 3*120<<10 {
		t.Errorf("hosted bytes %d, want the pushed image's layers", m.store.HostedSize())
	}
	hub.Reset()
	got, err := remote.Image(ownRef)
	if err == nil {
		err = validate.Image(got)
	}
	if err != nil {
		t.Fatalf("pull the hosted image after eviction: %v", err)
	}
	want, _ := own.Digest()
	if d, _ := got.Digest(); d != want {
		t.Errorf("hosted image digest %s, want %s", d, want)
	}
	noUpstream(t, hub)
}
