package mirror

import (
	"context"
	"fmt"
	"io"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
)

// fill is one download in progress, as the flight map sees it: who holds
// it and what its clients read. The bytes, their size and whether they
// verified are the blob's own business (cache.Pending).
type fill struct {
	digest    v1.Hash
	ready     chan struct{} // closed once blob is set or the fill failed before
	firstByte func()        // records time to first byte; nil for no metric
	idle      *idleWatch    // ends the fill once it writes nothing for long

	mu    sync.Mutex
	blob  followedBlob // nil until upstream answered
	err   error        // why the fill ended before it had a blob
	refs  int
	wants []cache.Span // ranges clients asked for, fetched before the rest
}

// followedBlob is what a fill's clients read: the pending blob, or content
// the fill found already committed.
type followedBlob interface {
	NewReader(ctx context.Context, from int64) io.Reader
	NewRangeReader(ctx context.Context, from, to int64, hold bool) io.Reader
	Size() int64 // -1 when upstream did not say
	Verified() bool
	Failed() bool
	Close() error
}

func newFill(d v1.Hash) *fill {
	return &fill{digest: d, ready: make(chan struct{})}
}

func (f *fill) started() followedBlob {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.blob
}

// acquire adds a reader and says whether it follows bytes still arriving
// (rather than a blob already verified whole, only not yet filed away).
func (f *fill) acquire() (following bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs++
	return f.blob == nil || !f.blob.Verified()
}

func (f *fill) failed() bool {
	b := f.started()
	return b != nil && b.Failed()
}

// release lets go of the fill; the last one out closes the blob's file,
// which readers share and which stays valid after the commit renames it.
func (f *fill) release() {
	f.mu.Lock()
	f.refs--
	last := f.refs == 0 && f.blob != nil
	f.mu.Unlock()
	if last {
		f.blob.Close()
	}
}

func (f *fill) start(b followedBlob) {
	f.mu.Lock()
	f.blob = b
	f.mu.Unlock()
	close(f.ready)
}

// adopt serves an already committed blob through the fill.
func (f *fill) adopt(b cache.Blob) error {
	size, err := b.Seek(0, io.SeekEnd)
	if err != nil {
		b.Close()
		return err
	}
	if size > 0 && f.firstByte != nil {
		f.firstByte()
	}
	f.start(committed{b, size})
	return nil
}

// finish ends the wait of clients when the fill failed before it began;
// once it began, the blob tells its readers the outcome.
func (f *fill) finish(err error) {
	f.mu.Lock()
	started := f.blob != nil
	if !started {
		f.err = err
	}
	f.mu.Unlock()
	if !started {
		close(f.ready)
	}
}

// wait blocks until the fill has a blob to read, and returns it; or
// returns the error that ended the fill before it started.
func (f *fill) wait(ctx context.Context) (followedBlob, error) {
	select {
	case <-f.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.blob == nil {
		return nil, f.err
	}
	return f.blob, nil
}

// want raises the priority of the pieces holding [from, to): a client is
// waiting for exactly those bytes.
// Only the latest maxWants are kept: a lazy-pulling client reads many
// small ranges, and those it asked for long ago were served by now.
func (f *fill) want(from, to int64) {
	f.mu.Lock()
	if len(f.wants) >= maxWants {
		f.wants = append(f.wants[:0], f.wants[maxWants/2:]...)
	}
	f.wants = append(f.wants, cache.Span{From: from, To: to})
	f.mu.Unlock()
}

const maxWants = 256

// wanted says whether a client asked for bytes of sp.
func (f *fill) wanted(sp cache.Span) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, w := range f.wants {
		if w.From < sp.To && sp.From < w.To {
			return true
		}
	}
	return false
}

// copyFrom moves an upstream body into the pending blob, which wakes its
// readers after every chunk.
func (f *fill) copyFrom(dst io.Writer, body io.Reader) error {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	for {
		n, err := body.Read(*bp)
		if n > 0 {
			if _, werr := dst.Write((*bp)[:n]); werr != nil {
				return werr
			}
			if f.firstByte != nil {
				f.firstByte()
			}
			if f.idle != nil {
				f.idle.progress()
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading upstream body: %w", err)
		}
	}
}

// committed is content already in the cache, read through a fill: whole
// and verified from the start.
type committed struct {
	cache.Blob
	size int64
}

func (c committed) NewReader(_ context.Context, from int64) io.Reader {
	return io.NewSectionReader(c.Blob, from, c.size-from)
}

func (c committed) NewRangeReader(_ context.Context, from, to int64, _ bool) io.Reader {
	return io.NewSectionReader(c.Blob, from, to-from)
}

func (c committed) Size() int64    { return c.size }
func (c committed) Verified() bool { return true }
func (c committed) Failed() bool   { return false }
