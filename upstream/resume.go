package upstream

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxResumes bounds how often one blob download picks up where it broke.
const maxResumes = 5

// Blob opens repo's blob d, following the registry's redirect to its CDN.
// size is the blob's length, or -1 if upstream did not say. If the body
// breaks or stalls, the reader asks the registry again (a CDN's signed URL
// may have expired) for the rest with a Range request, so the caller sees
// one unbroken stream. The caller verifies the digest and closes the body.
func (c *Client) Blob(ctx context.Context, repo string, d v1.Hash) (io.ReadCloser, int64, error) {
	r := &resumingBody{c: c, ctx: ctx, repo: repo, digest: d, end: -1}
	if err := r.open(); err != nil {
		return nil, 0, err
	}
	return r, r.size, nil
}

// to is where the body ends: its range's end, or the blob's.
func (r *resumingBody) to() int64 {
	if r.end >= 0 {
		return r.end
	}
	return r.size
}

type resumingBody struct {
	c       *Client
	ctx     context.Context
	repo    string
	digest  v1.Hash
	size    int64
	start   int64 // where the body began
	off     int64
	end     int64 // where it ends (exclusive); -1 for the end of the blob
	asked   bool  // the first request carried a Range, even from byte 0
	ranged  bool  // upstream answered a Range with 206 or Accept-Ranges
	resumes int
	body    io.ReadCloser
	watch   *stallWatch
	broken  error // why the last body ended early; nil while one is open
}

func (r *resumingBody) Read(p []byte) (int, error) {
	for {
		if r.body == nil {
			// The resume budget is checked here, not where the body broke:
			// a body can break in the same Read that returned bytes.
			if !r.worthResuming() {
				return 0, r.failure(r.broken)
			}
			if err := r.reopen(); err != nil {
				return 0, err
			}
		}
		if r.end >= 0 {
			p = p[:min(int64(len(p)), r.end-r.off)]
		}
		n, err := r.body.Read(p)
		r.off += int64(n)
		r.c.obs.Bytes(n)
		r.watch.progress(n)
		if r.end >= 0 && r.complete() {
			// A server ignoring the Range sends past the end: stop there.
			r.drop()
			return n, io.EOF
		}
		if err == nil || (err == io.EOF && r.complete()) {
			return n, err
		}
		r.drop()
		r.broken = err
		if n > 0 {
			return n, nil // report the bytes; the next Read resumes
		}
	}
}

// complete says a clean EOF really was the end: a body that ends short of
// the size upstream announced is a broken one.
func (r *resumingBody) complete() bool {
	if r.end >= 0 {
		return r.off == r.end
	}
	return r.size < 0 || r.off == r.size
}

func (r *resumingBody) worthResuming() bool {
	return r.resumes < maxResumes && r.ctx.Err() == nil && !r.complete() && r.off > r.start
}

func (r *resumingBody) failure(err error) error {
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("%w: blob %s broke at byte %d: %v", ErrUnreachable, r.digest, r.off, err)
}

func (r *resumingBody) reopen() error {
	r.resumes++
	r.c.log.Info("resuming blob download", "digest", r.digest, "offset", r.off, "attempt", r.resumes)
	if err := sleep(r.ctx, r.c.retry.backoff(r.resumes)); err != nil {
		return err
	}
	return r.open()
}

// open requests the blob from r.off on. Each body gets its own context, so
// the stall watch can end a silent connection without ending the download.
func (r *resumingBody) open() error {
	ctx, cancel := context.WithCancel(r.ctx)
	resp, err := r.c.blobRange(ctx, r.repo, r.digest, r.off, r.end, r.asked)
	if err != nil {
		cancel()
		return err
	}
	if r.off == r.start {
		r.size = blobSize(resp)
		r.ranged = honoursRange(resp)
		switch {
		case resp.StatusCode == http.StatusOK && r.start == 0:
			r.end = -1 // the Range was ignored: the whole blob comes, take it
		case r.end >= 0 && r.size >= 0:
			r.end = min(r.end, r.size) // a first piece asked for more than there is
		}
	}
	body, err := skipIgnoredRange(resp, r.off)
	if err != nil {
		cancel()
		return err
	}
	r.body = body
	r.watch = newStallWatch(r.c.stall, cancel)
	return nil
}

func (r *resumingBody) drop() {
	if r.body != nil {
		r.watch.stop()
		r.body.Close()
		r.body = nil
	}
}

func (r *resumingBody) Close() error {
	r.drop()
	return nil
}

// skipIgnoredRange copes with a server that answers a Range request with
// the whole body (200): the bytes already held are read and thrown away.
func skipIgnoredRange(resp *http.Response, off int64) (io.ReadCloser, error) {
	if off == 0 || resp.StatusCode == http.StatusPartialContent {
		return resp.Body, nil
	}
	if _, err := io.CopyN(io.Discard, resp.Body, off); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("%w: skipping to byte %d: %v", ErrUnreachable, off, err)
	}
	return resp.Body, nil
}

// stallWatch cancels a body that has sent nothing for the stall timeout.
type stallWatch struct {
	timer   *time.Timer
	timeout time.Duration
}

func newStallWatch(timeout time.Duration, cancel context.CancelFunc) *stallWatch {
	return &stallWatch{timer: time.AfterFunc(timeout, cancel), timeout: timeout}
}

func (w *stallWatch) progress(n int) {
	if n > 0 {
		w.timer.Reset(w.timeout)
	}
}

func (w *stallWatch) stop() { w.timer.Stop() }
