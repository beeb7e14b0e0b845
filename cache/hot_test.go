package cache

import (
	"bytes"
	"errors"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// A manifest served from memory is the same as from disk, still counts as
// an access, and is gone from memory once deleted.
func TestSmallContentServedFromMemoryUntilDeleted(t *testing.T) {
	s := openStore(t, t.TempDir())
	body := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`)
	d := blobtest.Digest(body)
	if err := s.Put(d, "application/vnd.oci.image.manifest.v1+json", body); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // the second read comes from memory
		got, meta, err := s.ReadAll(d)
		if err != nil || !bytes.Equal(got, body) || meta.MediaType != "application/vnd.oci.image.manifest.v1+json" {
			t.Fatalf("read %d: %q %+v %v", i, got, meta, err)
		}
	}
	if s.hot.entry(mustID(t, d)) == nil {
		t.Fatal("a read manifest was not kept in memory")
	}
	if err := s.Delete(d); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.ReadAll(d); !errors.Is(err, ErrNotFound) {
		t.Errorf("deleted manifest still readable: %v", err)
	}
}

func TestHotSetStaysWithinItsBudget(t *testing.T) {
	h := newHotSet()
	item := make([]byte, hotMaxItem)
	for n := 0; n < 3*hotMaxTotal/hotMaxItem; n++ {
		var i id
		i[0], i[1] = byte(n), byte(n>>8)
		h.put(i, item, Meta{})
	}
	if h.size > hotMaxTotal || len(h.byID) != hotMaxTotal/(hotMaxItem+hotEntryCost) {
		t.Errorf("hot set holds %d bytes in %d entries, budget %d", h.size, len(h.byID), hotMaxTotal)
	}
	var big id
	h.put(big, make([]byte, hotMaxItem+1), Meta{})
	if h.entry(big) != nil {
		t.Error("an item over the per-item limit was kept")
	}
}

// A hit keeps an entry: when the set is full, the oldest entry read since
// it was stored outlives one never read again.
func TestHotSetKeepsWhatIsRead(t *testing.T) {
	h := newHotSet()
	item := make([]byte, hotMaxItem)
	key := func(n int) (i id) { i[0], i[1], i[2] = byte(n), byte(n>>8), 1; return i }
	full := hotMaxTotal / (hotMaxItem + hotEntryCost)
	for n := range full {
		h.put(key(n), item, Meta{})
	}
	if h.entry(key(0)) == nil {
		t.Fatal("the oldest entry is gone before the set is full")
	}
	h.put(key(full), item, Meta{})
	if h.entry(key(0)) == nil {
		t.Error("the oldest entry, read since, was evicted before one never read")
	}
	if h.entry(key(1)) != nil {
		t.Error("the oldest entry never read survived while the set was full")
	}
	if h.size > hotMaxTotal {
		t.Errorf("hot set holds %d bytes, budget %d", h.size, hotMaxTotal)
	}
}

// Bench scenario 10's tags name 100 k manifests of about 430 bytes; all of
// them fit, so a warm GET by tag at a million blobs reads no file.
func TestHotSetHoldsAHundredThousandManifests(t *testing.T) {
	h := newHotSet()
	body := make([]byte, 430)
	const n = 100_000
	for k := 0; k < n; k++ {
		var i id
		i[0], i[1], i[2] = byte(k), byte(k>>8), byte(k>>16)
		h.put(i, body, Meta{})
	}
	if len(h.byID) != n {
		t.Errorf("hot set kept %d of %d manifests (%d bytes, budget %d)", len(h.byID), n, h.size, hotMaxTotal)
	}
}

// A manifest stored before this process started is hashed at its first
// read from disk, not at every one: verified once and not rewritten, it
// is still good.
func TestManifestFromDiskHashedOncePerProcess(t *testing.T) {
	dir := t.TempDir()
	body := []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}`)
	d := blobtest.Digest(body)
	s := openStore(t, dir)
	if err := s.Put(d, "application/vnd.oci.image.manifest.v1+json", body); err != nil {
		t.Fatal(err)
	}
	s.Close()
	s = openStore(t, dir)
	for k := 0; k < 3; k++ {
		s.hot.drop(mustID(t, d)) // as when the hot set is full: read from disk
		if got, _, err := s.ReadAll(d); err != nil || !bytes.Equal(got, body) {
			t.Fatalf("read %d: %q %v", k, got, err)
		}
	}
	if n := s.manifestHashes.Load(); n != 1 {
		t.Errorf("3 reads from disk hashed the manifest %d times, want 1", n)
	}
}

func TestVerifiedSetIsBounded(t *testing.T) {
	var c checked
	for k := 0; k <= checkedMax; k++ {
		var i id
		i[0], i[1], i[2] = byte(k), byte(k>>8), byte(k>>16)
		c.add(i)
	}
	if len(c.ids) > checkedMax {
		t.Errorf("verified set holds %d ids, bound %d", len(c.ids), checkedMax)
	}
}
