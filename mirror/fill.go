package mirror

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
)

// fills runs at most one upstream download per digest. Every client asking
// for a digest that is being downloaded joins that download's fill.
type fills struct {
	store   blobStore
	timeout time.Duration
	slots   chan struct{} // one per download allowed at once
	metrics *metrics.Metrics
	log     *slog.Logger

	mu     sync.Mutex
	active map[v1.Hash]*fill
}

func newFills(s blobStore, timeout time.Duration, maxConcurrent int, m *metrics.Metrics, log *slog.Logger) *fills {
	return &fills{store: s, timeout: timeout, slots: make(chan struct{}, maxConcurrent), metrics: m, log: log, active: map[v1.Hash]*fill{}}
}

// join returns the fill for d, starting one from up if none is running.
// Blobs are shared by digest across repositories and registries. A fill
// whose blob already failed is not joined: its readers are aborting, and a
// client retrying at once must get a fresh fill. The caller must release
// the fill.
func (fs *fills) join(up Upstream, repo string, d v1.Hash) *fill {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.active[d]; ok && !f.failed() {
		if f.acquire() {
			fs.metrics.FillFollowers.Inc()
		}
		return f
	}
	f := newFill(d)
	f.refs = 2 // the caller and the download
	f.firstByte = fs.firstByteTimer()
	fs.active[d] = f
	fs.metrics.FillsInFlight.Inc()
	go fs.run(f, up, repo)
	return f
}

// known reports the size of a blob being downloaded, once upstream told
// it, and whether the bytes already verified.
func (fs *fills) known(d v1.Hash) (size int64, verified, ok bool) {
	fs.mu.Lock()
	f, found := fs.active[d]
	fs.mu.Unlock()
	if !found {
		return 0, false, false
	}
	b := f.started()
	if b == nil || b.Size() < 0 || b.Failed() {
		return 0, false, false
	}
	return b.Size(), b.Verified(), true
}

// run downloads on a context of its own: the fill belongs to no request,
// so no client leaving can cancel it.
func (fs *fills) run(f *fill, up Upstream, repo string) {
	fs.slots <- struct{}{} // queue for a download slot
	ctx, cancel := context.WithTimeout(context.Background(), fs.timeout)
	err := fs.download(ctx, f, up, repo)
	cancel()
	<-fs.slots
	fs.metrics.FillsInFlight.Dec()
	if err != nil {
		fs.metrics.FillErrors.WithLabelValues(fillErrorReason(err)).Inc()
		fs.log.Warn("blob download failed", "repo", repo, "digest", f.digest, "error", err)
	}
	// Forget before finishing: once a client learns the fill failed before
	// it began, a new request must start a fresh fill.
	fs.mu.Lock()
	if fs.active[f.digest] == f {
		delete(fs.active, f.digest)
	}
	fs.mu.Unlock()
	f.finish(err)
	f.release()
}

func (fs *fills) download(ctx context.Context, f *fill, up Upstream, repo string) error {
	// Re-check inside the flight: the blob may have been committed between
	// the caller's cache miss and this fill's start.
	if b, err := fs.store.Open(f.digest); err == nil {
		return f.adopt(b)
	}
	body, size, err := up.Blob(ctx, repo, f.digest)
	if err != nil {
		return err
	}
	defer body.Close()
	p, err := fs.store.Create(f.digest, size, "")
	if err != nil {
		return err
	}
	f.start(p)
	if err := f.copyFrom(p, body); err != nil {
		p.Abort()
		return err
	}
	// Commit verifies once and lets the followers finish before the bytes
	// are durable in the cache.
	return p.Commit()
}

// firstByteTimer returns a func that, called once, records the time from
// now (the cache miss) to the first byte of the blob being available.
func (fs *fills) firstByteTimer() func() {
	start := time.Now()
	var once sync.Once
	return func() {
		once.Do(func() { fs.metrics.FillFirstByte.Observe(time.Since(start).Seconds()) })
	}
}

// fillErrorReason sorts download failures into the few reasons the
// fill_errors_total metric distinguishes.
func fillErrorReason(err error) string { return causeOf(err).fillReason() }

// fill is one download in progress, as the flight map sees it: who holds
// it and what its clients read. The bytes, their size and whether they
// verified are the blob's own business (cache.Pending).
type fill struct {
	digest    v1.Hash
	ready     chan struct{} // closed once blob is set or the fill failed before
	firstByte func()        // records time to first byte; nil for no metric

	mu   sync.Mutex
	blob followedBlob // nil until upstream answered
	err  error        // why the fill ended before it had a blob
	refs int
}

// followedBlob is what a fill's clients read: the pending blob, or content
// the fill found already committed.
type followedBlob interface {
	NewReader(ctx context.Context, from int64) io.Reader
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

func (f *fill) isVerified() bool {
	b := f.started()
	return b != nil && b.Verified()
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

// copyFrom moves the upstream body into the pending blob, which wakes its
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

func (c committed) Size() int64    { return c.size }
func (c committed) Verified() bool { return true }
func (c committed) Failed() bool   { return false }
