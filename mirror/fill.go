package mirror

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/metrics"
)

// errFillFailed marks a fill that broke after it had started: its readers
// must abort rather than end short.
var errFillFailed = errors.New("fill failed")

// fills runs at most one upstream download per digest. Every client asking
// for a digest that is being downloaded joins that download's fill.
type fills struct {
	store   Store
	timeout time.Duration
	slots   chan struct{} // one per download allowed at once
	metrics *metrics.Metrics
	log     *slog.Logger

	mu     sync.Mutex
	active map[v1.Hash]*fill
}

func newFills(s Store, timeout time.Duration, maxConcurrent int, m *metrics.Metrics, log *slog.Logger) *fills {
	if maxConcurrent <= 0 {
		maxConcurrent = 32
	}
	return &fills{store: s, timeout: timeout, slots: make(chan struct{}, maxConcurrent), metrics: m, log: log, active: map[v1.Hash]*fill{}}
}

// join returns the fill for d, starting one from up if none is running.
// Blobs are shared by digest across repositories and registries. The
// caller must release the fill.
func (fs *fills) join(up Upstream, repo string, d v1.Hash) *fill {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if f, ok := fs.active[d]; ok {
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
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.file == nil || f.size < 0 || (f.err != nil && !f.verified) {
		return 0, false, false
	}
	return f.size, f.verified, true
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
	// Forget before finishing: once readers learn the outcome, a new
	// request must find the committed blob or start a fresh fill.
	fs.mu.Lock()
	delete(fs.active, f.digest)
	fs.mu.Unlock()
	f.finish(err)
	f.release()
}

func (fs *fills) download(ctx context.Context, f *fill, up Upstream, repo string) error {
	// Re-check inside the flight: the blob may have been committed between
	// the caller's cache miss and this fill's start.
	if file, err := fs.store.Open(f.digest); err == nil {
		return f.adopt(file)
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
	f.start(p.File(), size, p.Close)
	if err := f.copyFrom(p, body); err != nil {
		p.Abort()
		return err
	}
	if err := p.Verify(); err == nil {
		// The bytes are the blob: readers need not wait for the fsync and
		// rename that make them durable in the cache.
		f.markVerified()
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

// fill is one download in progress. Readers follow its temp file through a
// shared descriptor (ReadAt only), which stays valid after the commit
// renames the file and is closed when the last reader lets go.
type fill struct {
	digest v1.Hash
	ready  chan struct{} // closed when size is known or the fill failed early

	mu       sync.Mutex
	grew     *sync.Cond
	file     *os.File
	close    func() error
	size     int64 // -1 when upstream did not say
	written  int64
	done     bool
	verified bool // the written bytes matched the digest
	err      error
	refs     int

	firstByte func() // records time to first byte; nil for no metric
}

func newFill(d v1.Hash) *fill {
	f := &fill{digest: d, ready: make(chan struct{}), size: -1}
	f.grew = sync.NewCond(&f.mu)
	return f
}

// acquire adds a reader and says whether it follows bytes still arriving
// (rather than a blob already verified whole, only not yet filed away).
func (f *fill) acquire() (following bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.refs++
	return !f.verified
}

func (f *fill) isVerified() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.verified
}

func (f *fill) release() {
	f.mu.Lock()
	f.refs--
	last := f.refs == 0 && f.close != nil
	f.mu.Unlock()
	if last {
		f.close()
	}
}

func (f *fill) start(file *os.File, size int64, closer func() error) {
	f.mu.Lock()
	f.file, f.size, f.close = file, size, closer
	f.mu.Unlock()
	close(f.ready)
}

// adopt serves an already committed file through the fill.
func (f *fill) adopt(file *os.File) error {
	fi, err := file.Stat()
	if err != nil {
		file.Close()
		return err
	}
	f.start(file, fi.Size(), file.Close)
	f.advance(fi.Size())
	return nil
}

func (f *fill) advance(n int64) {
	if n > 0 && f.firstByte != nil {
		f.firstByte()
	}
	f.mu.Lock()
	f.written += n
	f.mu.Unlock()
	f.grew.Broadcast()
}

func (f *fill) markVerified() {
	f.mu.Lock()
	f.verified = true
	f.mu.Unlock()
	f.grew.Broadcast()
}

func (f *fill) finish(err error) {
	f.mu.Lock()
	f.done, f.err = true, err
	started := f.file != nil
	f.mu.Unlock()
	if !started {
		close(f.ready)
	}
	f.grew.Broadcast()
}

// wait blocks until the fill knows the blob's size, and returns it; or
// returns the error that ended the fill before it started.
func (f *fill) wait(ctx context.Context) (int64, error) {
	select {
	case <-f.ready:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.file == nil {
		return 0, f.err
	}
	return f.size, nil
}

// copyFrom moves the upstream body into the pending file, waking readers
// after every chunk.
func (f *fill) copyFrom(dst io.Writer, body io.Reader) error {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	for {
		n, err := body.Read(*bp)
		if n > 0 {
			if _, werr := dst.Write((*bp)[:n]); werr != nil {
				return werr
			}
			f.advance(int64(n))
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading upstream body: %w", err)
		}
	}
}
