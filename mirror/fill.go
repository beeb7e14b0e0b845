package mirror

import (
	"context"
	"errors"
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
	pieces  pieceOptions
	slots   chan struct{} // one per download allowed at once
	metrics *metrics.Metrics
	log     *slog.Logger

	mu     sync.Mutex
	active map[v1.Hash]*fill
}

// pieceOptions shape how a fill fetches a large blob (Options has the why).
type pieceOptions struct {
	threshold, size int64
	parallelism     int
	idle            time.Duration
}

func newFills(s blobStore, po pieceOptions, maxConcurrent int, m *metrics.Metrics, log *slog.Logger) *fills {
	return &fills{store: s, pieces: po, slots: make(chan struct{}, maxConcurrent), metrics: m, log: log, active: map[v1.Hash]*fill{}}
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
// so no client leaving can cancel it. No deadline cuts a healthy transfer,
// however long: the fill fails only once it has written nothing for the
// idle timeout (a silent piece is resumed sooner, by upstream's stall
// timeout).
func (fs *fills) run(f *fill, up Upstream, repo string) {
	fs.slots <- struct{}{} // queue for a download slot
	ctx, cancel := context.WithCancelCause(context.Background())
	f.idle = newIdleWatch(fs.pieces.idle, func() { cancel(errFillIdle) })
	err := fs.download(ctx, f, up, repo)
	if err != nil && context.Cause(ctx) == errFillIdle {
		err = errors.Join(errFillIdle, err)
	}
	f.idle.stop()
	cancel(nil)
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
	ru, ok := up.(rangedUpstream)
	if !ok {
		return fs.stream(ctx, f, up, repo)
	}
	p, first, err := fs.begin(ctx, f, ru, repo)
	if err != nil {
		return err
	}
	f.start(p)
	if first != nil {
		err = fs.fetch(ctx, f, p, ru, repo, first)
	}
	switch {
	case errors.Is(err, cache.ErrCorrupt):
		p.Abort()
	case err != nil:
		p.Shelve() // the next fill continues from the pieces written
	default:
		// Commit verifies once and lets the followers finish before the
		// bytes are durable in the cache.
		err = p.Commit()
	}
	return err
}

// stream is the fill from an upstream that can only send whole blobs.
func (fs *fills) stream(ctx context.Context, f *fill, up Upstream, repo string) error {
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
