package cache_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
)

// push uploads b into repo as a client's push does.
func push(t testing.TB, s *cache.Store, repo string, b cachetest.Blob) {
	t.Helper()
	u, err := s.NewUpload()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(b.Body); err != nil {
		t.Fatal(err)
	}
	if err := u.Commit(repo, b.Digest); err != nil {
		t.Fatal(err)
	}
}

// pushImage pushes a config, the layers and a manifest tagged tag, and
// returns the manifest's digest.
func pushImage(t testing.TB, s *cache.Store, repo, tag string, layers ...cachetest.Blob) v1.Hash {
	t.Helper()
	config := cachetest.NewBlob("config "+repo+tag, 64)
	push(t, s, repo, config)
	m := v1.Manifest{SchemaVersion: 2, MediaType: types.OCIManifestSchema1,
		Config: v1.Descriptor{MediaType: types.OCIConfigJSON, Digest: config.Digest, Size: 64}}
	p := cache.ManifestPush{Repo: repo, MediaType: string(types.OCIManifestSchema1), Tags: []string{tag}, Blobs: []v1.Hash{config.Digest}}
	for _, l := range layers {
		push(t, s, repo, l)
		m.Layers = append(m.Layers, v1.Descriptor{MediaType: types.OCILayer, Digest: l.Digest, Size: int64(len(l.Body))})
		p.Blobs = append(p.Blobs, l.Digest)
	}
	body, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	p.Body = body
	p.Digest = cachetest.NewBlobFrom(body).Digest
	if err := s.PushManifest(p); err != nil {
		t.Fatal(err)
	}
	return p.Digest
}

func hostedHas(s *cache.Store, repo string, d v1.Hash) bool {
	f, _, err := s.HostedBlob(repo, d)
	if err == nil {
		f.Close()
	}
	return err == nil
}

// Hosted content is neither evicted nor counted against the cap: pulling
// twice the cap of mirrored content evicts only mirrored content.
func TestHostedContentIsNeverEvicted(t *testing.T) {
	const limit = 16 << 10
	s := mustOpen(t, t.TempDir(), cache.Options{MaxSize: limit})
	layer := cachetest.NewBlob("hosted layer", 20<<10)
	pushImage(t, s, "team/app", "1", layer)
	shared := cachetest.NewBlob("from upstream, then mounted", 4<<10)
	cachetest.Fill(t, s, shared)
	if err := s.Mount("team/app", shared.Digest, ""); err != nil {
		t.Fatal(err)
	}
	for n := range 4 {
		cachetest.Fill(t, s, cachetest.NewBlob(fmt.Sprint("mirrored ", n), 8<<10))
	}
	if _, err := s.Evict(); err != nil {
		t.Fatal(err)
	}
	if cached := s.Used() - s.HostedSize(); cached > limit {
		t.Errorf("mirrored content %d bytes after eviction, over the %d cap", cached, limit)
	}
	if _, err := s.EvictTo(0); err != nil {
		t.Fatal(err)
	}
	for _, b := range []cachetest.Blob{layer, shared} {
		if !hostedHas(s, "team/app", b.Digest) {
			t.Errorf("hosted blob %s evicted", b.Digest)
		}
	}
	if s.Used() != s.HostedSize() {
		t.Errorf("after EvictTo(0): used %d, hosted %d; want only hosted content left", s.Used(), s.HostedSize())
	}
	cachetest.AssertAccounting(t, s)
}

// Deleting a manifest lets the collector reclaim what only it used, and
// nothing within the grace period: a layer uploaded for a manifest not yet
// pushed survives until the grace is over. Shared layers stay.
func TestHostedCollectorReclaimsOnlyUnreferenced(t *testing.T) {
	dir := t.TempDir()
	s := mustOpen(t, dir, cache.Options{})
	shared, onlyA, onlyB := cachetest.NewBlob("shared", 4096), cachetest.NewBlob("only a", 4096), cachetest.NewBlob("only b", 4096)
	pushImage(t, s, "team/a", "1", shared, onlyA)
	b := pushImage(t, s, "team/b", "1", shared, onlyB)
	pending := cachetest.NewBlob("uploaded, manifest still to come", 4096)
	push(t, s, "team/c", pending)
	if err := s.DeleteHostedManifest("team/b", b); err != nil {
		t.Fatal(err)
	}

	got, err := s.CollectHosted(time.Hour)
	if err != nil || got.Blobs != 0 {
		t.Fatalf("within the grace period: %+v, %v; want nothing reclaimed", got, err)
	}
	before := s.HostedSize()
	got, err = s.CollectHosted(0)
	if err != nil {
		t.Fatal(err)
	}
	// team/b's manifest, its config, onlyB, and the pending upload.
	if got.Blobs != 4 || got.Bytes != before-s.HostedSize() {
		t.Errorf("collected %+v (hosted %d → %d), want 4 blobs", got, before, s.HostedSize())
	}
	for _, c := range []struct {
		repo string
		blob cachetest.Blob
		kept bool
	}{{"team/a", shared, true}, {"team/a", onlyA, true}, {"team/b", onlyB, false}, {"team/c", pending, false}} {
		if has := hostedHas(s, c.repo, c.blob.Digest); has != c.kept {
			t.Errorf("%s %s: present %v, want %v", c.repo, c.blob.Digest, has, c.kept)
		}
		if _, err := os.Stat(cache.BlobPath(dir, c.blob.Digest)); (err == nil) != c.kept {
			t.Errorf("%s file present %v, want %v", c.blob.Digest, err == nil, c.kept)
		}
	}
	if _, err := s.Open(shared.Digest); err != nil {
		t.Errorf("shared layer gone: %v", err)
	}
	cachetest.AssertAccounting(t, s)
}

// Hosted figures survive a restart.
func TestHostedFiguresAfterRestart(t *testing.T) {
	dir := t.TempDir()
	s, err := cache.OpenWithOptions(dir, cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	pushImage(t, s, "team/app", "1", cachetest.NewBlob("layer", 10000))
	size, repos := s.HostedSize(), s.HostedRepositories()
	s.Close()
	s = mustOpen(t, dir, cache.Options{})
	if s.HostedSize() != size || s.HostedRepositories() != repos || repos != 1 {
		t.Errorf("after restart: %d bytes in %d repositories, want %d in %d", s.HostedSize(), s.HostedRepositories(), size, repos)
	}
}

// helperHalfUpload pushes one blob and half of another, says so, and waits
// to be killed.
func helperHalfUpload(t *testing.T, s *cache.Store) {
	push(t, s, "team/app", cachetest.NewBlob("pushed", 4096))
	u, err := s.NewUpload()
	if err != nil {
		os.Exit(2)
	}
	u.Write(cachetest.NewBlob("half", 1<<20).Body[:512<<10])
	fmt.Println("ready")
}

// kill -9 mid-push leaves nothing of the partial upload visible, and the
// client can push the blob again.
func TestKilledMidUploadLeavesNothingVisible(t *testing.T) {
	dir := t.TempDir()
	kill(t, startHelper(t, "half-upload", dir))
	s := mustOpen(t, dir, cache.Options{})
	half := cachetest.NewBlob("half", 1<<20)
	if _, _, err := s.HostedBlob("team/app", half.Digest); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("half-pushed blob visible: %v", err)
	}
	if temps, _ := filepath.Glob(filepath.Join(dir, "tmp", "upload-*")); len(temps) != 0 {
		t.Errorf("upload temp files left after restart: %v", temps)
	}
	if !hostedHas(s, "team/app", cachetest.NewBlob("pushed", 4096).Digest) {
		t.Error("the finished push was lost")
	}
	push(t, s, "team/app", half)
	if !hostedHas(s, "team/app", half.Digest) || s.HostedSize() != 4096+1<<20 {
		t.Errorf("push after restart: hosted %d bytes", s.HostedSize())
	}
	cachetest.AssertAccounting(t, s)
}
