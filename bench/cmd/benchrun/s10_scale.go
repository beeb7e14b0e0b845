package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// scalePoint is scenario 10 for one cache size: every figure per round,
// so the report can give medians with min–max.
type scalePoint struct {
	shape     scaleShape
	bytes     int64 // as built
	left      int64 // after the eviction passes so far
	build     time.Duration
	startup   []float64 // s, process start to the first manifest served
	rss, hwm  []int64   // bytes, after cfg.idle at rest
	p99, p50  []time.Duration
	reqPerSec []float64
	non2xx    int64
	upstream  int64     // manifest requests upstream saw during wrk
	ls        []float64 // s, `cache ls --json | wc -l`
	lsLines   int
	evicted   []int           // blobs each eviction pass removed
	evict     []time.Duration // those passes, as the server logged them
}

// scaleRun is scenario 10: its points by size, and how they were taken.
type scaleRun struct {
	points       []*scalePoint
	rounds       int
	idle, wrkRun time.Duration
}

// scale is scenario 10: how hubmirror's costs grow with its cache. It
// builds a cache per size in cfg.scaleBlobs, then runs cfg.repeat rounds,
// each visiting every size in turn (so a burst of load elsewhere on the
// machine hits one round, not one size): start the server and time the
// first served manifest, read its memory at rest, hammer random tags with
// wrk, stop it, time `cache ls`. Last, cfg.repeat rounds of one eviction
// pass of 10 % per size, each of what the pass before left.
// The caches stay in the work dir, which bench/run.sh removes on its way
// out, after RESULTS.md is written: a million files take minutes to unlink
// on a busy disk.
func (b *bench) scale() {
	points := make([]*scalePoint, 0, len(b.cfg.scaleBlobs))
	defer func() {
		b.res.scale = &scaleRun{points: points, rounds: b.cfg.repeat, idle: b.cfg.idle, wrkRun: b.cfg.wrkDuration}
	}()
	for _, n := range b.cfg.scaleBlobs {
		p, err := b.buildScale(scaleShape{blobs: n, tags: b.cfg.scaleTags})
		if err != nil {
			b.res.problem("scenario 10: building %d blobs: %v", n, err)
			return
		}
		points = append(points, p)
	}
	for round := range b.cfg.repeat {
		for _, p := range points {
			if b.ctx.Err() != nil {
				return
			}
			if err := b.scaleRound(p, round); err != nil {
				b.res.problem("scenario 10: %d blobs, round %d: %v", p.shape.blobs, round+1, err)
				return
			}
		}
	}
	for round := range b.cfg.repeat {
		for _, p := range points {
			if err := b.scaleEvict(p, round); err != nil {
				b.res.problem("scenario 10: %d blobs: eviction: %v", p.shape.blobs, err)
			}
		}
	}
}

func (b *bench) scaleDir(sh scaleShape) string {
	return filepath.Join(b.cfg.work, fmt.Sprintf("scale-%d", sh.blobs))
}

func (b *bench) buildScale(sh scaleShape) (*scalePoint, error) {
	start := time.Now()
	used, err := buildScaleCache(b.scaleDir(sh), sh)
	if err != nil {
		return nil, err
	}
	p := &scalePoint{shape: sh, bytes: used, left: used, build: time.Since(start)}
	logf("scenario 10: built %d blobs and %d tags in %s (load %s)", sh.blobs, sh.tags, p.build.Round(time.Millisecond), loadAverage())
	return p, nil
}

// scaleRound is one round of one size.
func (b *bench) scaleRound(p *scalePoint, round int) error {
	name := fmt.Sprintf("hubmirror-scale-%d-r%d", p.shape.blobs, round+1)
	s, startup, err := b.startScaleServer(name, p)
	if err != nil {
		return err
	}
	defer stop(s.proc)
	select {
	case <-time.After(b.cfg.idle):
	case <-b.ctx.Done():
		return b.ctx.Err()
	}
	rss, err1 := procStatus(s.proc.Pid(), "VmRSS")
	hwm, err2 := procStatus(s.proc.Pid(), "VmHWM")
	if err1 != nil || err2 != nil {
		return fmt.Errorf("memory: %v %v", err1, err2)
	}
	w, err := b.scaleWrk(s, p.shape)
	if err != nil {
		return err
	}
	stop(s.proc)
	ls, lines, err := b.timeCacheLs(b.scaleDir(p.shape))
	if err != nil {
		return err
	}
	p.startup, p.rss, p.hwm = append(p.startup, startup.Seconds()), append(p.rss, rss), append(p.hwm, hwm)
	p.p99, p.p50, p.reqPerSec = append(p.p99, w.p99), append(p.p50, w.p50), append(p.reqPerSec, w.reqPerSec)
	p.non2xx, p.upstream = p.non2xx+w.non2xx, p.upstream+w.upstreamHeads+w.upstreamGets
	p.ls, p.lsLines = append(p.ls, ls.Seconds()), lines
	logf("scenario 10: %7d blobs: start-up %.2f s, idle RSS %d MiB (peak %d), p99 %s (%.0f req/s), ls %.2f s (%d lines); load %s",
		p.shape.blobs, startup.Seconds(), rss>>20, hwm>>20, w.p99, w.reqPerSec, ls.Seconds(), lines, loadAverage())
	return nil
}

// startScaleServer starts `hubmirror serve` on p's cache, with a tag TTL
// longer than the run so no tag is revalidated, and times it from just
// before the exec to the first manifest it serves.
func (b *bench) startScaleServer(name string, p *scalePoint, extra ...string) (*system, time.Duration, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return nil, 0, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := append([]string{"serve", "--listen", addr, "--data-dir", b.scaleDir(p.shape), "--upstream", b.hub.URL,
		"--tag-ttl", "24h", "--log-format", "json"}, extra...)
	start := time.Now()
	proc, err := b.ps.start(name, offlineEnv(), filepath.Join(b.cfg.binDir, "hubmirror"), args...)
	if err != nil {
		return nil, 0, err
	}
	s := &system{name: name, url: "http://" + addr, proc: proc}
	url := fmt.Sprintf("%s/v2/%s/manifests/%s", s.url, scaleRepo(0), scaleTag(0))
	if err := withLogTail(proc, firstServed(b.ctx, proc, url)); err != nil {
		stop(proc)
		return nil, 0, err
	}
	return s, time.Since(start), nil
}

// firstServed polls url every millisecond until it is served (a start-up
// time needs a finer step than a readiness probe), the process dies, or a
// minute passes.
func firstServed(ctx context.Context, p *proctest.Proc, url string) error {
	deadline := time.Now().Add(time.Minute)
	for {
		_, _, err := getJSON(ctx, url, "Accept", dockerAccept)
		switch {
		case err == nil:
			return nil
		case ctx.Err() != nil:
			return ctx.Err()
		case p.Exited():
			return fmt.Errorf("exited before serving %s: %v", url, err)
		case time.Now().After(deadline):
			return fmt.Errorf("%s not served within a minute: %w", url, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// parseCounts reads a comma-separated list of positive counts.
func parseCounts(name, list string) []int {
	var out []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			fatalFlag(name, fmt.Errorf("%q is not a positive count", f))
		}
		out = append(out, n)
	}
	return out
}
