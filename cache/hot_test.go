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
	if _, _, hot := s.hot.get(mustID(t, d)); !hot {
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
	if h.size > hotMaxTotal || len(h.byID) != hotMaxTotal/hotMaxItem {
		t.Errorf("hot set holds %d bytes in %d entries, budget %d", h.size, len(h.byID), hotMaxTotal)
	}
	var big id
	h.put(big, make([]byte, hotMaxItem+1), Meta{})
	if _, _, ok := h.get(big); ok {
		t.Error("an item over the per-item limit was kept")
	}
}
