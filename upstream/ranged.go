package upstream

import (
	"context"
	"errors"
	"io"
	"net/http"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// RangeBody is part of a blob being read from upstream.
type RangeBody struct {
	io.ReadCloser
	// Size is the whole blob's size, or -1 if upstream did not say.
	Size int64
	// Ranged says upstream serves byte ranges, learnt from this response:
	// a fill may then fetch other parts of the blob at once.
	Ranged bool
	// To is where the bytes this body gives end (exclusive): the range's
	// end, or the blob's when upstream sent it whole; -1 if unknown.
	To int64
}

// BlobRange opens bytes [from, to) of repo's blob d; to -1 reads to the end
// (from 0, with a plain GET: no Range header).
// Each call asks the registry afresh, so a piece never uses a signed CDN
// URL that expired while others were fetched. A body that breaks or stalls
// resumes within its range, as Blob's does. A server that ignores the
// Range still gives exactly those bytes: the ones before are skipped, the
// ones after never read.
func (c *Client) BlobRange(ctx context.Context, repo string, d v1.Hash, from, to int64) (*RangeBody, error) {
	r := &resumingBody{c: c, ctx: ctx, repo: repo, digest: d, start: from, off: from, end: to, asked: to >= 0 || from > 0}
	err := r.open()
	var se *StatusError
	if from == 0 && errors.As(err, &se) && se.StatusCode == http.StatusRequestedRangeNotSatisfiable {
		// Only an empty blob has no byte 0: ask for it whole.
		r = &resumingBody{c: c, ctx: ctx, repo: repo, digest: d, end: -1}
		err = r.open()
	}
	if err != nil {
		return nil, err
	}
	return &RangeBody{ReadCloser: r, Size: r.size, Ranged: r.ranged, To: r.to()}, nil
}
