package mirror

import (
	"testing"

	"github.com/hubmirror/hubmirror/cache"
)

// The piece at the prefix goes out before anything else whenever it is not
// running; then pieces a range asked for; then the rest in order.
func TestPlanOrder(t *testing.T) {
	wanted := cache.Span{From: 90, To: 95}
	pl := newPlan(cache.Span{From: 0, To: 30}, []cache.Span{{From: 0, To: 100}}, 20, func(sp cache.Span) bool {
		return sp.From < wanted.To && wanted.From < sp.To
	})
	// Pieces: [0,30) running, [30,50) [50,70) [70,90) [90,100).
	next := func() int64 {
		t.Helper()
		sp, _, ok := pl.next()
		if !ok {
			t.Fatal("no piece left")
		}
		return sp.From
	}
	if got := next(); got != 90 {
		t.Fatalf("with the prefix piece running, next = %d; want the wanted piece at 90", got)
	}
	if got := next(); got != 30 {
		t.Fatalf("next = %d, want 30 (in order)", got)
	}
	pl.done(0) // the prefix now ends at 30, whose piece is running
	if got := next(); got != 50 {
		t.Fatalf("next = %d, want 50", got)
	}
	pl.done(1) // [30,50) done: the prefix piece is [50,70), running
	pl.done(4)
	if got := next(); got != 70 {
		t.Fatalf("next = %d, want 70", got)
	}
	if _, _, ok := pl.next(); ok {
		t.Fatal("a piece was handed out twice")
	}
}

// A resumed partial's gaps are cut into pieces, never across bytes already
// written, and the first piece's span is not fetched twice.
func TestPlanCutsOnlyTheGaps(t *testing.T) {
	pl := newPlan(cache.Span{From: 10, To: 20}, []cache.Span{{From: 10, To: 40}, {From: 60, To: 65}}, 16, func(cache.Span) bool { return false })
	var got []cache.Span
	for _, p := range pl.pieces {
		got = append(got, p.Span)
	}
	want := []cache.Span{{From: 10, To: 20}, {From: 20, To: 36}, {From: 36, To: 40}, {From: 60, To: 65}}
	if len(got) != len(want) {
		t.Fatalf("pieces %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("pieces %v, want %v", got, want)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-", "bytes=-10", "bytes=5-9", "bytes=9-5", "bytes=0-0,5-6", "bytes=-0", "bytes=100-", "items=0-1", "bytes= 3-4"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, v string, size int64) {
		r, ok, unsatisfiable := parseRange(v, size)
		if ok && (r.from < 0 || r.from >= r.to || r.to > size) {
			t.Fatalf("parseRange(%q, %d) = %+v: not within the blob", v, size, r)
		}
		if ok && unsatisfiable {
			t.Fatalf("parseRange(%q, %d): both a range and unsatisfiable", v, size)
		}
	})
}
