package cache

import (
	"slices"
	"testing"
)

// Pieces arrive in any order and overlap when one is fetched again; the
// set must end as the union, with the prefix and the gaps right.
func TestSpans(t *testing.T) {
	var s spans
	s = s.add(20, 30)
	s = s.add(0, 10)
	s = s.add(40, 50)
	if got := s.missing(60); !slices.Equal(got, []Span{{10, 20}, {30, 40}, {50, 60}}) {
		t.Fatalf("missing = %v", got)
	}
	s = s.add(10, 20) // joins the first two
	if s.prefix() != 30 || s.end(25) != 30 || s.end(35) != 35 {
		t.Fatalf("prefix %d, end(25) %d, end(35) %d in %v", s.prefix(), s.end(25), s.end(35), s)
	}
	s = s.add(25, 45) // overlaps both sides
	if !slices.Equal(s, spans{{0, 50}}) || s.total() != 50 {
		t.Fatalf("spans = %v", s)
	}
	if got := s.missing(50); len(got) != 0 {
		t.Fatalf("missing of a whole blob = %v", got)
	}
}
