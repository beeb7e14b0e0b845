package cache

import (
	"bytes"
	"fmt"
	"io"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// A blob stored again between the eviction walk and its claim is fresh
// content, and one deleted then is gone: the pass must act on neither as
// the walk saw them. (The pass trusts the walk only when nothing else
// wrote the index meanwhile; this is the case where something did.)
func TestWritesDuringTheWalkAreSeenByThePass(t *testing.T) {
	s := openStore(t, t.TempDir())
	const n, size = 10, 1000
	bodies := make([][]byte, n)
	digests := make([]v1.Hash, n)
	for k := range n {
		bodies[k] = bytes.Repeat([]byte(fmt.Sprint(k)), size)
		digests[k] = blobtest.Digest(bodies[k])
		if err := s.Put(digests[k], "", bodies[k]); err != nil {
			t.Fatal(err)
		}
	}
	var once sync.Once
	testAfterWalk = func() {
		once.Do(func() {
			refill(t, s, digests[0], bodies[0])
			if err := s.Delete(digests[1]); err != nil {
				t.Error(err)
			}
		})
	}
	defer func() { testAfterWalk = nil }()
	got, err := s.EvictTo(n / 2 * size)
	if err != nil {
		t.Fatal(err)
	}
	f, err := s.Open(digests[0])
	if err != nil {
		t.Fatalf("the blob stored again during the pass: %v (evicted %+v)", err, got)
	}
	defer f.Close()
	if b, err := io.ReadAll(f); err != nil || !bytes.Equal(b, bodies[0]) {
		t.Fatalf("the blob stored again reads %d bytes, %v", len(b), err)
	}
	if used := s.Used(); used != int64(n-1-got.Blobs)*size {
		t.Errorf("usage %d bytes after deleting one and evicting %d of %d blobs of %d", used, got.Blobs, n, size)
	}
}

// refill stores body under d again, as a fill after a miss does.
func refill(t *testing.T, s *Store, d v1.Hash, body []byte) {
	t.Helper()
	p, err := s.Create(d, int64(len(body)), "")
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if _, err := p.Write(body); err != nil {
		t.Fatal(err)
	}
	if err := p.Commit(); err != nil {
		t.Fatal(err)
	}
}
