package mirror

import (
	"context"
	"fmt"
	"io"
)

// follower reads a fill's bytes as they arrive, from offset 0.
type follower struct {
	ctx context.Context
	f   *fill
	off int64
}

// follow returns a reader of the fill from offset from. A cancelled ctx
// (the client left) wakes it, so a waiting reader never outlives its request.
func (f *fill) follow(ctx context.Context, from int64) io.Reader {
	context.AfterFunc(ctx, func() {
		f.mu.Lock()
		f.grew.Broadcast()
		f.mu.Unlock()
	})
	return &follower{ctx: ctx, f: f, off: from}
}

func (r *follower) Read(p []byte) (int, error) {
	limit, err := r.f.readable(r.ctx, r.off)
	if limit <= r.off {
		return 0, err
	}
	n, rerr := r.f.file.ReadAt(p[:min(int64(len(p)), limit-r.off)], r.off)
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
func (f *fill) readable(ctx context.Context, off int64) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for {
		if f.err != nil && !f.verified {
			return 0, fmt.Errorf("%w: %v", errFillFailed, f.err)
		}
		limit := f.written
		if !f.done && !f.verified && f.size >= 0 {
			limit = min(limit, f.size-1)
		}
		if limit > off {
			return limit, nil
		}
		if f.done || f.verified {
			return limit, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		f.grew.Wait()
	}
}
