package cache

import "slices"

// Span is the bytes [From, To) of a blob.
type Span struct{ From, To int64 }

// spans is the set of byte ranges of a blob already written: sorted,
// disjoint and never touching (adjacent ranges are merged), so the first
// span starting at 0 is the contiguous prefix. A fill writes a few pieces
// at once, so the set stays a handful of spans long.
type spans []Span

// add records [from, to) as written.
func (s spans) add(from, to int64) spans {
	if from >= to {
		return s
	}
	i, _ := slices.BinarySearchFunc(s, from, func(sp Span, off int64) int {
		switch {
		case sp.To < off:
			return -1
		case sp.From > off:
			return 1
		}
		return 0
	})
	j := i
	for j < len(s) && s[j].From <= to {
		from, to = min(from, s[j].From), max(to, s[j].To)
		j++
	}
	return slices.Replace(s, i, j, Span{from, to})
}

// prefix is how many bytes from 0 on are written without a gap.
func (s spans) prefix() int64 {
	if len(s) == 0 || s[0].From > 0 {
		return 0
	}
	return s[0].To
}

// end returns how far the bytes from off on are written without a gap;
// off itself when the byte at off is not written.
func (s spans) end(off int64) int64 {
	for _, sp := range s {
		if sp.From <= off && off < sp.To {
			return sp.To
		}
	}
	return off
}

// total is the number of bytes written.
func (s spans) total() int64 {
	var n int64
	for _, sp := range s {
		n += sp.To - sp.From
	}
	return n
}

// missing lists the gaps of [0, size).
func (s spans) missing(size int64) []Span {
	var gaps []Span
	var at int64
	for _, sp := range s {
		if sp.From > at {
			gaps = append(gaps, Span{at, min(sp.From, size)})
		}
		at = sp.To
	}
	if at < size {
		gaps = append(gaps, Span{at, size})
	}
	return gaps
}
