package mirror

import (
	"context"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/upstream"
)

// rangedUpstream is what a fill needs to fetch a blob in pieces; an
// upstream without it is read as one stream.
type rangedUpstream interface {
	BlobRange(ctx context.Context, repo string, d v1.Hash, from, to int64) (*upstream.RangeBody, error)
}

// pieceState is where one piece of a fill stands.
type pieceState int

const (
	pieceTodo pieceState = iota
	pieceRunning
	pieceDone
)

type piece struct {
	cache.Span
	state pieceState
}

// plan hands out a fill's pieces to its workers. The piece at the
// contiguous prefix (the first one not done) goes first whenever it is
// not already running, so in-order readers never wait behind pieces they
// do not need yet; then pieces a range request asked for; then the rest
// in order.
type plan struct {
	mu     sync.Mutex
	pieces []piece
	wanted func(cache.Span) bool
}

// newPlan lays out the pieces: first (being read already) and then what
// is missing after it, cut into pieces of size each (size 0: uncut).
func newPlan(first cache.Span, missing []cache.Span, size int64, wanted func(cache.Span) bool) *plan {
	pl := &plan{pieces: []piece{{first, pieceRunning}}, wanted: wanted}
	for _, gap := range missing {
		gap.From = max(gap.From, first.To)
		for from := gap.From; from < gap.To; {
			to := gap.To
			if size > 0 {
				to = min(to, from+size)
			}
			pl.pieces = append(pl.pieces, piece{cache.Span{From: from, To: to}, pieceTodo})
			from = to
		}
	}
	return pl
}

// next takes the next piece to fetch; ok is false when none is left.
func (pl *plan) next() (cache.Span, int, bool) {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	pick := -1
	for i, p := range pl.pieces {
		if p.state != pieceDone {
			if p.state == pieceTodo {
				pick = i
			}
			break
		}
	}
	for i, p := range pl.pieces {
		if pick < 0 && p.state == pieceTodo && pl.wanted(p.Span) {
			pick = i
		}
	}
	for i, p := range pl.pieces {
		if pick < 0 && p.state == pieceTodo {
			pick = i
		}
	}
	if pick < 0 {
		return cache.Span{}, -1, false
	}
	pl.pieces[pick].state = pieceRunning
	return pl.pieces[pick].Span, pick, true
}

func (pl *plan) done(i int) {
	pl.mu.Lock()
	pl.pieces[i].state = pieceDone
	pl.mu.Unlock()
}

// fetchPieces runs workers over the plan until every piece is written.
// The first worker starts with the body already open for the first piece.
// A piece that fails after its own resumes fails the fill; the pieces
// already written stay for the next one (the caller shelves them).
func (fs *fills) fetchPieces(ctx context.Context, f *fill, p cache.Pending, pl *plan, first io.ReadCloser, src pieceSource, workers int) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		err := f.copyFrom(checkpointing(p, pl.pieces[0].From, fs.pieces.size), first)
		first.Close()
		if err != nil {
			return err
		}
		pl.done(0)
		p.Checkpoint()
		return fs.work(ctx, f, p, pl, src)
	})
	for range workers - 1 {
		g.Go(func() error { return fs.work(ctx, f, p, pl, src) })
	}
	return g.Wait()
}

// pieceSource opens one piece of the blob being filled.
type pieceSource func(ctx context.Context, sp cache.Span) (io.ReadCloser, error)

func (fs *fills) work(ctx context.Context, f *fill, p cache.Pending, pl *plan, src pieceSource) error {
	for {
		sp, i, ok := pl.next()
		if !ok {
			return nil
		}
		body, err := src(ctx, sp)
		if err != nil {
			return err
		}
		err = f.copyFrom(checkpointing(p, sp.From, fs.pieces.size), body)
		body.Close()
		if err != nil {
			return err
		}
		pl.done(i)
		p.Checkpoint() // a failure to checkpoint only costs a re-fetch later
	}
}

// checkpointer writes a piece at its offset and checkpoints the blob every
// so many bytes, so a long piece (a whole blob, fetched as one stream)
// killed part-way keeps most of what it wrote.
type checkpointer struct {
	*io.OffsetWriter
	p            cache.Pending
	every, since int64
}

func checkpointing(p cache.Pending, off, every int64) *checkpointer {
	return &checkpointer{OffsetWriter: io.NewOffsetWriter(p, off), p: p, every: every}
}

func (c *checkpointer) Write(b []byte) (int, error) {
	n, err := c.OffsetWriter.Write(b)
	if c.since += int64(n); c.since >= c.every {
		c.since = 0
		c.p.Checkpoint()
	}
	return n, err
}
