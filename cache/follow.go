package cache

import (
	"context"
	"io"
)

// follower reads a pending blob's bytes as they arrive. It reads the file
// through the pending blob's descriptor (ReadAt only), which stays valid
// after Commit renames the file, until Close.
type follower struct {
	ctx  context.Context
	p    *pending
	off  int64
	to   int64 // end of the range read; -1 for the whole blob
	hold bool  // withhold the blob's last byte until it verified
}

// NewReader returns a reader of the blob from offset from to its end, in
// order. A cancelled ctx (the client left) wakes it, so a waiting reader
// never outlives its request. Once the blob failed, every read returns
// ErrAborted. The last byte is withheld until the digest verified.
func (p *pending) NewReader(ctx context.Context, from int64) io.Reader {
	return p.follow(ctx, from, -1, true)
}

// NewRangeReader returns a reader of bytes [from, to) that hands out each
// byte as soon as it is written, wherever the pieces before it stand. With
// hold, the blob's last byte still waits for the digest: a caller
// answering a range that completes the blob (a client resuming a broken
// download) sets it; one answering a part of the blob need not.
func (p *pending) NewRangeReader(ctx context.Context, from, to int64, hold bool) io.Reader {
	return p.follow(ctx, from, to, hold)
}

func (p *pending) follow(ctx context.Context, from, to int64, hold bool) io.Reader {
	context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.grew.Broadcast()
		p.mu.Unlock()
	})
	return &follower{ctx: ctx, p: p, off: from, to: to, hold: hold}
}

func (r *follower) Read(b []byte) (int, error) {
	if r.to >= 0 && r.off >= r.to {
		return 0, io.EOF
	}
	limit, err := r.p.readable(r.ctx, r.off, r.hold)
	if r.to >= 0 {
		limit = min(limit, r.to)
	}
	if limit <= r.off {
		return 0, err
	}
	n, rerr := r.p.file.ReadAt(b[:min(int64(len(b)), limit-r.off)], r.off)
	r.off += int64(n)
	if rerr == io.EOF && n > 0 {
		rerr = nil
	}
	return n, rerr
}

// readable blocks until bytes at off may be read and returns how far they
// are written without a gap. With hold, the last byte of a blob of known
// size is withheld until the fill has verified the digest, so no client
// ever holds a complete body that failed its check: a failure after that
// point can only end in an aborted connection.
func (p *pending) readable(ctx context.Context, off int64, hold bool) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.failure != nil {
			return 0, p.failure
		}
		limit := p.have.end(off)
		if hold && !p.verified && p.size >= 0 {
			limit = min(limit, p.size-1)
		}
		if limit > off {
			return limit, nil
		}
		if p.verified {
			return limit, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		p.grew.Wait()
	}
}
