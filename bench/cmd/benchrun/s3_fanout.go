package main

import (
	"context"
	"path/filepath"
	"sync"
	"time"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// joinAfter is how much of the blob the first client must have received
// before the others start: they join a download provably in flight, so
// their time to first byte is a follower's, not a second leader's.
const joinAfter = 32 << 20

// fanout is scenario 3 for one system.
type fanout struct {
	size          int64
	upstreamBytes int64           // CDN body bytes the whole scenario cost
	walls         []time.Duration // each client's own request→last byte; [0] is the first client
	followerTTFB  []time.Duration
	span          time.Duration // first request → last byte of the last client
}

// fanOut is scenario 3, with scenario 5's memory figures taken after it:
// each system is still fresh (started just before), so VmHWM is the peak
// of start-up plus this scenario; the idle RSS follows a pause. Each
// repetition uses a blob of its own and runs every system back to back.
// nginx serving the same bytes from a file to the same clients is the
// floor: on a machine whose clients share its cores, delivering N copies
// takes time even when nothing has to be fetched.
func (b *bench) fanOut() {
	for _, blob := range b.fanoutBlobs() {
		for _, s := range b.systems {
			b.fanOutThrough(s, blob)
		}
		b.fanOutFloor(blob)
	}
	b.memoryAfterFanout()
}

func (b *bench) fanOutThrough(s *system, blob hubinfo.Blob) {
	if err := b.hub.reset(); err != nil {
		b.res.problem("scenario 3: %v", err)
		return
	}
	var r fanout
	var err error
	url := blobURL(s.url, blob.Repo, blob.Digest)
	b.profiled("fanout-"+s.name, func() { r, err = runFanout(b.ctx, url, blob.Size, b.cfg.clients) })
	if err != nil {
		b.res.problem("scenario 3: %s: %v", s.name, err)
		return
	}
	if c, err := b.hub.counts(); err == nil {
		r.upstreamBytes = c.CDNBytes
	}
	b.res.addFan(s.name, r)
	logFanout(s.name, r)
}

func (b *bench) fanOutFloor(blob hubinfo.Blob) {
	r, err := runFanout(b.ctx, b.nginx.url+"/"+filepath.Base(blob.File), blob.Size, b.cfg.clients)
	if err != nil {
		b.res.problem("scenario 3: nginx: %v", err)
		return
	}
	b.res.addFan(b.nginx.name, r)
	logFanout(b.nginx.name, r)
}

func logFanout(name string, r fanout) {
	logf("scenario 3: %-10s upstream %.2f× blob, slowest %.2fs, span %.2fs, follower TTFB median %s",
		name, float64(r.upstreamBytes)/float64(r.size), slowest(r), r.span.Seconds(), medianDuration(r.followerTTFB))
}

// runFanout starts one client, waits until it has joinAfter bytes, then
// starts n-1 more at once, and waits for all of them.
func runFanout(ctx context.Context, url string, size int64, n int) (fanout, error) {
	joined := make(chan struct{})
	var once sync.Once
	signal := func() { once.Do(func() { close(joined) }) }
	got := make([]fetched, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer signal() // a leader that fails early must not strand the rest
		got[0], errs[0] = fetchSized(ctx, url, size, nil, func(read int64) {
			if read >= joinAfter {
				signal()
			}
		})
	}()
	<-joined // bounded: the fetch ends within fetchTimeout
	for i := 1; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = fetchSized(ctx, url, size, nil, nil)
		}()
	}
	wg.Wait()
	return summarizeFanout(size, got), firstError(errs)
}

func summarizeFanout(size int64, got []fetched) fanout {
	r := fanout{size: size}
	var last time.Time
	for i, f := range got {
		r.walls = append(r.walls, f.wall)
		if i > 0 {
			r.followerTTFB = append(r.followerTTFB, f.ttfb)
		}
		if end := f.start.Add(f.wall); end.After(last) {
			last = end
		}
	}
	r.span = last.Sub(got[0].start)
	return r
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
