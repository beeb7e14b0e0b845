package cache

import (
	"context"
	"io"
)

// follower reads a pending blob's bytes as they arrive. It reads the temp
// file through the pending blob's descriptor (ReadAt only), which stays
// valid after Commit renames the file, until Close.
type follower struct {
	ctx context.Context
	p   *pending
	off int64
}

// NewReader returns a reader of the blob from offset from. A cancelled ctx
// (the client left) wakes it, so a waiting reader never outlives its
// request. Once the blob failed, every read returns ErrAborted.
func (p *pending) NewReader(ctx context.Context, from int64) io.Reader {
	context.AfterFunc(ctx, func() {
		p.mu.Lock()
		p.grew.Broadcast()
		p.mu.Unlock()
	})
	return &follower{ctx: ctx, p: p, off: from}
}

func (r *follower) Read(b []byte) (int, error) {
	limit, err := r.p.readable(r.ctx, r.off)
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

// readable blocks until bytes past off may be read and returns how far. The
// last byte of a blob of known size is withheld until the fill has verified
// the digest, so no client ever holds a complete body that failed its
// check: a failure after that point can only end in an aborted connection.
func (p *pending) readable(ctx context.Context, off int64) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		if p.failure != nil {
			return 0, p.failure
		}
		limit := p.written
		if !p.verified && p.size >= 0 {
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
