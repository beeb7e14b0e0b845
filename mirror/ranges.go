package mirror

import (
	"strconv"
	"strings"
)

// byteRange is one satisfiable range of a Range header, [from, to).
type byteRange struct {
	from, to int64
	open     bool // "bytes=N-": a client resuming a download, to the end
}

// parseRange reads a single-range Range header against a blob of known
// size. ok is false for no header, a multi-range or a malformed one (all
// answered with the whole blob, which HTTP allows); unsatisfiable is true
// for a range that starts past the end (416).
func parseRange(v string, size int64) (r byteRange, ok, unsatisfiable bool) {
	spec, found := strings.CutPrefix(v, "bytes=")
	if !found || size < 0 || strings.Contains(spec, ",") {
		return r, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return r, false, false
	}
	if first == "" { // suffix: the last N bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n <= 0 {
			return r, false, n == 0 && err == nil
		}
		if size == 0 { // no last bytes to give (RFC 9110 14.1.1: 416)
			return r, false, true
		}
		return byteRange{from: max(0, size-n), to: size}, true, false
	}
	from, err := strconv.ParseInt(first, 10, 64)
	if err != nil || from < 0 {
		return r, false, false
	}
	if from >= size {
		return r, false, true
	}
	if last == "" {
		return byteRange{from: from, to: size, open: true}, true, false
	}
	end, err := strconv.ParseInt(last, 10, 64)
	if err != nil || end < from {
		return r, false, false
	}
	return byteRange{from: from, to: min(end+1, size)}, true, false
}

// completes says the range ends the blob in a way a client takes as the
// rest or the whole of it: an open range (a resumed download) or one from
// byte 0. Such a range withholds its last byte until the digest verified,
// as a full GET does. Any other range is a part of the blob (a lazy-pulling
// snapshotter reading a chunk or the footer); it is served as soon as its
// bytes are written, verified or not: a 206 of a part claims no more than
// those bytes came from upstream, and such clients check their chunks.
func (r byteRange) completes(size int64) bool {
	return r.to == size && (r.open || r.from == 0)
}
