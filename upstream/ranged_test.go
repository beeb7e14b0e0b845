package upstream_test

import (
	"context"
	"io"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// A piece is exactly its bytes, learnt to be ranged from the CDN's 206;
// a first piece asking past the end gets the whole small blob; an empty
// blob (no byte 0 to range over) still reads; a piece whose body breaks
// resumes inside its range.
func TestBlobRange(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	content, d := hub.AddTestBlob(t, "library/big", 4<<20)
	empty := hub.AddBlob("library/big", nil)
	c, err := upstream.New(upstream.Options{URL: hub.URL, UserAgent: "hubmirror-test"})
	if err != nil {
		t.Fatal(err)
	}
	read := func(from, to int64) ([]byte, *upstream.RangeBody) {
		t.Helper()
		b, err := c.BlobRange(context.Background(), "library/big", d, from, to)
		if err != nil {
			t.Fatal(err)
		}
		defer b.Close()
		got, err := io.ReadAll(b)
		if err != nil {
			t.Fatal(err)
		}
		return got, b
	}
	if got, b := read(1<<20, 2<<20); blobtest.Digest(got) != blobtest.Digest(content[1<<20:2<<20]) || !b.Ranged || b.Size != 4<<20 {
		t.Errorf("middle piece: %d bytes, ranged %v, size %d", len(got), b.Ranged, b.Size)
	}
	if got, _ := read(0, 16<<20); len(got) != len(content) {
		t.Errorf("first piece past the end: %d bytes, want the whole %d", len(got), len(content))
	}
	hub.ResetAfter(d, 100<<10)
	if got, _ := read(3<<20, 4<<20); blobtest.Digest(got) != blobtest.Digest(content[3<<20:]) {
		t.Errorf("broken piece resumed into %d bytes", len(got))
	}
	if r := hub.CDNRanges(d); r[len(r)-1] != "bytes=3248128-4194303" {
		t.Errorf("resume asked for %q, want the rest of the piece", r[len(r)-1])
	}
	b, err := c.BlobRange(context.Background(), "library/big", empty, 0, 16<<20)
	if err != nil {
		t.Fatalf("empty blob: %v", err)
	}
	if got, _ := io.ReadAll(b); len(got) != 0 || b.Size != 0 {
		t.Errorf("empty blob: %d bytes, size %d", len(got), b.Size)
	}
}
