package mirror

import (
	"context"
	"io"
	"time"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/upstream"
)

// begin opens the pending blob and the body of its first piece. A partial
// an earlier fill kept is continued from its first gap; otherwise the
// first request is sized to the piece threshold, so a blob below it comes
// in one request as it always did, and its answer (a 206, or Accept-Ranges)
// says whether the rest may come in pieces. first is nil when a partial
// already holds every byte.
func (fs *fills) begin(ctx context.Context, f *fill, up rangedUpstream, repo string) (cache.Pending, *firstBody, error) {
	if p, err := fs.store.Resume(f.digest, ""); err == nil {
		missing := p.Missing()
		if len(missing) == 0 {
			return p, nil, nil
		}
		gap := missing[0]
		if fs.pieces.parallelism > 1 {
			gap.To = min(gap.To, gap.From+fs.pieces.size)
		}
		body, err := up.BlobRange(ctx, repo, f.digest, gap.From, gap.To)
		if err != nil {
			p.Shelve()
			p.Close()
			return nil, nil, err
		}
		return p, &firstBody{body, gap.From}, nil
	}
	end := int64(-1) // one stream
	if fs.pieces.parallelism > 1 {
		end = fs.pieces.threshold
	}
	body, err := up.BlobRange(ctx, repo, f.digest, 0, end)
	if err != nil {
		return nil, nil, err
	}
	p, err := fs.store.Create(f.digest, body.Size, "")
	if err != nil {
		body.Close()
		return nil, nil, err
	}
	return p, &firstBody{body, 0}, nil
}

// firstBody is the open body of a fill's first piece and where it starts.
type firstBody struct {
	*upstream.RangeBody
	from int64
}

// fetch writes every missing byte: the first body, then the rest. A large
// blob from an upstream that honours Range comes in pieces, several at
// once; anything else as one stream per gap.
func (fs *fills) fetch(ctx context.Context, f *fill, p cache.Pending, up rangedUpstream, repo string, first *firstBody) error {
	size, cut, workers := p.Size(), int64(0), 1
	if first.Ranged && size >= fs.pieces.threshold && fs.pieces.parallelism > 1 {
		cut, workers = fs.pieces.size, fs.pieces.parallelism
	}
	to := first.To
	if to < 0 {
		to = size // unknown: the one stream is the whole blob
	}
	pl := newPlan(cache.Span{From: first.from, To: to}, p.Missing(), cut, f.wanted)
	src := func(ctx context.Context, sp cache.Span) (io.ReadCloser, error) {
		b, err := up.BlobRange(ctx, repo, f.digest, sp.From, sp.To)
		if err != nil {
			return nil, err
		}
		return b, nil
	}
	return fs.fetchPieces(ctx, f, p, pl, first, src, workers)
}

// idleWatch calls its func once nothing was written for the timeout.
type idleWatch struct {
	timer   *time.Timer
	timeout time.Duration
}

func newIdleWatch(timeout time.Duration, fire func()) *idleWatch {
	return &idleWatch{timer: time.AfterFunc(timeout, fire), timeout: timeout}
}

func (w *idleWatch) progress() { w.timer.Reset(w.timeout) }
func (w *idleWatch) stop()     { w.timer.Stop() }
