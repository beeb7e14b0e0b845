package cache

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

func manyItems(n int) []Item {
	items := make([]Item, n)
	for k := range items {
		body := []byte(fmt.Sprintf(`{"schemaVersion":2,"n":%d}`, k))
		items[k] = Item{Digest: blobtest.Digest(body), MediaType: "application/vnd.oci.image.manifest.v1+json", Body: body}
	}
	return items
}

func TestPutManyStoresEveryItemDurablyAndCountsIt(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	items := manyItems(300)
	// One already stored and one given twice count once each.
	if err := s.Put(items[7].Digest, items[7].MediaType, items[7].Body); err != nil {
		t.Fatal(err)
	}
	if err := s.PutMany(append(items, items[3])); err != nil {
		t.Fatal(err)
	}
	var size int64
	for _, it := range items {
		size += int64(len(it.Body))
	}
	if s.Entries() != int64(len(items)) || s.Used() != size {
		t.Fatalf("%d entries, %d bytes; want %d, %d", s.Entries(), s.Used(), len(items), size)
	}
	assertNoTemps(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openStore(t, dir)
	if s.Entries() != int64(len(items)) || s.Used() != size {
		t.Fatalf("after restart: %d entries, %d bytes", s.Entries(), s.Used())
	}
	for _, it := range items {
		got, meta, err := s.ReadAll(it.Digest)
		if err != nil || !bytes.Equal(got, it.Body) || meta.MediaType != it.MediaType {
			t.Fatalf("%s: %q %+v %v", it.Digest, got, meta, err)
		}
	}
}

func TestPutManyStoresNothingIfOneItemIsCorrupt(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	items := manyItems(10)
	items[9].Body = []byte("not what the digest says")
	if err := s.PutMany(items); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("PutMany = %v, want ErrCorrupt", err)
	}
	if s.Entries() != 0 {
		t.Fatalf("%d entries stored from a corrupt batch", s.Entries())
	}
	if _, _, err := s.ReadAll(items[0].Digest); !errors.Is(err, ErrNotFound) {
		t.Fatalf("ReadAll of a good item of the batch = %v", err)
	}
	assertNoTemps(t, dir)
}
