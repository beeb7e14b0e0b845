package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// manyClients is scenario 12's crowd of one warm blob.
const manyClients = 500

// manyResult is one scenario-12 run against one system.
type manyResult struct {
	mbps    float64 // body bytes all clients received ÷ the run's length
	errors  int64   // failed requests (not the ones the deadline cut)
	peakRSS int64   // the server's VmHWM during the run, reset before it; 0 for nginx
}

// manyResults is scenario 12: system → one result per round.
type manyResults map[string][]manyResult

// manyBlob is scenario 12's warm blob, after scenario 11's.
func (b *bench) manyBlob() hubinfo.Blob {
	return b.hub.Blobs[1+4*b.cfg.repeat+len(crowdSizes)*b.cfg.repeat]
}

// manyWarm is scenario 12: 500 clients at once fetching one blob every
// system already has, each over and over for the run's length, in rounds
// that interleave both nginx modes, hubmirror and registry:2. The faster
// nginx mode by median is the reference, as in scenario 1.
func (b *bench) manyWarm() {
	blob := b.manyBlob()
	for _, s := range b.systems {
		if _, err := fetchSized(b.ctx, blobURL(s.url, blob.Repo, blob.Digest), blob.Size, nil, nil); err != nil {
			b.res.problem("scenario 12: %s: warming: %v", s.name, err)
			return
		}
	}
	file := "/" + filepath.Base(blob.File)
	targets := []struct {
		name, url string
		pid       int
	}{
		{nginxSendfile, b.nginx.url + file, 0},
		{nginxBuffered, b.nginxBuf.url + file, 0},
	}
	for _, s := range b.systems {
		targets = append(targets, struct {
			name, url string
			pid       int
		}{s.name, blobURL(s.url, blob.Repo, blob.Digest), s.proc.Pid()})
	}
	for range b.cfg.repeat {
		for _, t := range targets {
			r, err := b.manyRun(t.url, t.pid)
			if err != nil {
				b.res.problem("scenario 12: %s: %v", t.name, err)
				continue
			}
			b.res.many[t.name] = append(b.res.many[t.name], r)
			logf("scenario 12: %-14s %.0f MB/s, %d errors, peak RSS %.1f MiB", t.name, r.mbps, r.errors, float64(r.peakRSS)/(1<<20))
		}
	}
}

// manyRun runs the crowd against url for cfg.manyDuration. pid, when not
// zero, is the server whose peak RSS the run records.
func (b *bench) manyRun(url string, pid int) (manyResult, error) {
	if pid != 0 {
		if err := resetPeakRSS(pid); err != nil {
			return manyResult{}, err
		}
	}
	bytes, errs, took := crowdGet(b.ctx, url, manyClients, b.cfg.manyDuration)
	r := manyResult{mbps: float64(bytes) / took.Seconds() / 1e6, errors: errs}
	if pid != 0 {
		hwm, err := procStatus(pid, "VmHWM")
		if err != nil {
			return r, err
		}
		r.peakRSS = hwm
	}
	if bytes == 0 {
		return r, errors.New("no byte received")
	}
	return r, nil
}

// crowdTransport keeps one connection per client, as 500 docker daemons
// would each have their own.
var crowdTransport = &http.Transport{Proxy: nil, MaxIdleConnsPerHost: manyClients, DisableCompression: true}

// crowdGet has n clients GET url over and over until d has passed and
// returns the body bytes they received in that time, the requests that
// failed, and the time taken. The deadline cuts the last request of each
// client; that is not an error.
func crowdGet(ctx context.Context, url string, n int, d time.Duration) (int64, int64, time.Duration) {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var bytes, errs atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range n {
		wg.Go(func() {
			buf := make([]byte, 256<<10)
			for ctx.Err() == nil {
				if err := crowdFetch(ctx, url, buf, &bytes); err != nil && ctx.Err() == nil {
					errs.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return bytes.Load(), errs.Load(), time.Since(start)
}

func crowdFetch(ctx context.Context, url string, buf []byte, bytes *atomic.Int64) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := crowdTransport.RoundTrip(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	for {
		n, err := resp.Body.Read(buf)
		bytes.Add(int64(n))
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
