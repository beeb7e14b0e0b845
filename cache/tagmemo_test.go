package cache

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// A warm tag read is a map lookup, not a Badger transaction and a JSON
// decode (about 30 allocations each).
func TestWarmTagReadsAllocateAlmostNothing(t *testing.T) {
	s := openStore(t, t.TempDir())
	want := Tag{Digest: blobtest.Digest([]byte("m")), MediaType: "application/vnd.oci.image.manifest.v1+json", FetchedAt: time.Now().UTC()}
	if err := s.SetTag("docker.io", "library/app", "1", want); err != nil {
		t.Fatal(err)
	}
	allocs := testing.AllocsPerRun(100, func() {
		if got, err := s.Tag("docker.io", "library/app", "1"); err != nil || got.Digest != want.Digest {
			t.Fatalf("Tag: %+v %v", got, err)
		}
	})
	if allocs > 2 {
		t.Fatalf("a warm tag read made %.0f allocations, want ≤ 2", allocs)
	}
}

// Readers racing a writer never keep an older record once the writer is
// done: the memo must not let a read that began before a SetTag store
// what it read after that SetTag finished.
func TestTagReadsSeeTheLastSetTag(t *testing.T) {
	s := openStore(t, t.TempDir())
	tagOf := func(i int) Tag {
		return Tag{Digest: blobtest.Digest([]byte(fmt.Sprint(i))), MediaType: "m"}
	}
	for _, tag := range []string{"a", "b", "c"} {
		var wg sync.WaitGroup
		done := make(chan struct{})
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					select {
					case <-done:
						return
					default:
						_, _ = s.Tag("docker.io", "library/app", tag)
					}
				}
			}()
		}
		for i := range 50 {
			if err := s.SetTag("docker.io", "library/app", tag, tagOf(i)); err != nil {
				t.Fatal(err)
			}
		}
		close(done)
		wg.Wait()
		if got, err := s.Tag("docker.io", "library/app", tag); err != nil || got.Digest != tagOf(49).Digest {
			t.Fatalf("tag %s after 50 writes: %v %v, want the 50th", tag, got.Digest, err)
		}
	}
}

// Bench scenario 10's 100 k tags all stay in the memo, and a memo filled
// past its byte budget starts over rather than grow.
func TestTagMemoHoldsAHundredThousandTagsWithinItsBudget(t *testing.T) {
	m := newTagMemo()
	const n = 100_000
	key := func(k int) string {
		return string(tagKey("docker.io", fmt.Sprintf("bench/repo-%05d", k/10), fmt.Sprint(k%10)))
	}
	for k := 0; k < n; k++ {
		m.set(key(k), Tag{MediaType: "m"})
	}
	hits := 0
	for k := 0; k < n; k++ {
		if _, ok, _ := m.get([]byte(key(k))); ok {
			hits++
		}
	}
	if hits != n {
		t.Errorf("memo hits %d of %d tags after storing them all", hits, n)
	}
	for k := n; m.bytes >= (n-1)*tagRecordCost; k++ { // until it starts over
		m.set(key(k), Tag{MediaType: "m"})
		if m.bytes > tagMemoMaxBytes {
			t.Fatalf("memo holds %d bytes, budget %d", m.bytes, tagMemoMaxBytes)
		}
	}
}
