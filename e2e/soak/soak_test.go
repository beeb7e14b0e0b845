package soak

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// clients is the population: enough to keep fills, followers, evictions
// and uploads overlapping on two cores, few enough to stay a soak, not a
// benchmark.
const clients = 8

// sampleEvery is how often the mirror's resources are read.
const sampleEvery = 2 * time.Second

// run is one soak: the Hub, the world it serves, the mirror, and the
// figures they produce.
type run struct {
	t       *testing.T
	set     settings
	hub     *upstreamtest.Hub
	world   *world
	mirror  *mirror
	tally   *tally
	pushes  *ledger
	res     resources
	master  *rand.Rand
	mu      sync.Mutex // guards rng draws from master
	http    *http.Client
	dataDir string
	started time.Time
}

// TestSoak is the promise under load, faults and time: no client gets a
// complete-looking body that fails its digest, no acknowledged push is
// lost, the process neither crashes nor leaks, and once the faults end it
// serves everything again by itself. Phases: load (clients, faults,
// restarts, sampling) for $SOAK; recover (faults off, every image pulled,
// every push checked); settle (resources back near the start); report;
// judge.
func TestSoak(t *testing.T) {
	set := soakSettings(t)
	t.Logf("soak for %s, seed %d (SOAK_SEED=%d replays the schedule)", set.duration, set.seed, set.seed)
	r := &run{t: t, set: set, tally: newTally(), pushes: &ledger{},
		master: rand.New(rand.NewPCG(set.seed, set.seed^0x9e3779b97f4a7c15))}
	r.setUp()
	r.load()
	r.recover()
	r.settle()
	r.report()
	r.judge()
}

// stream is a random stream of its own for one goroutine, drawn from the
// seed so the run's schedule replays.
func (r *run) stream() *rand.Rand {
	r.mu.Lock()
	defer r.mu.Unlock()
	return rand.New(rand.NewPCG(r.master.Uint64(), r.master.Uint64()))
}

func (r *run) setUp() {
	t := r.t
	r.hub = upstreamtest.New(t, upstreamtest.Options{})
	w, err := newWorld(r.hub, r.stream())
	if err != nil {
		t.Fatal(err)
	}
	r.world = w
	t.Logf("working set: %d repositories, %d blobs, %.1f MiB (cap %d MiB), largest blob %.1f MiB",
		len(w.repos), len(w.blobs), mib(w.total), cacheMaxSize>>20, mib(w.largest))
	r.dataDir = filepath.Join(t.TempDir(), "data")
	logDir, err := os.MkdirTemp("", "soak-logs-")
	if err != nil {
		t.Fatal(err)
	}
	if r.mirror, err = newMirror(r.dataDir, logDir, r.hub.URL); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.mirror.term()
		if t.Failed() {
			t.Logf("mirror logs kept in %s", logDir)
			return
		}
		os.RemoveAll(logDir)
	})
	if err := r.mirror.start(); err != nil {
		t.Fatal(err)
	}
	r.http = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients * 2,
		ResponseHeaderTimeout: opTimeout}}
	s, err := take(r.mirror.current().Pid(), r.mirror.metrics, r.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	r.res.start(s)
}

func (r *run) newClient() *client {
	return &client{base: r.mirror.url(), http: r.http, tally: r.tally, world: r.world, pushes: r.pushes, rng: r.stream()}
}

// load runs the population, the faults, the restarts and the sampler for
// the run's duration.
func (r *run) load() {
	r.started = time.Now()
	ctx, cancel := context.WithTimeoutCause(context.Background(), r.set.duration, errRunOver)
	defer cancel()
	scale := min(1, float64(r.set.duration)/float64(30*time.Minute))
	var wg sync.WaitGroup
	for range clients {
		c := r.newClient()
		wg.Go(func() { c.work(ctx) })
	}
	// Two faulters, each with its own stream: shots and conditions overlap.
	shooter := &faulter{hub: r.hub, world: r.world, tally: r.tally, rng: r.stream(), scale: scale}
	holder := &faulter{hub: r.hub, world: r.world, tally: r.tally, rng: r.stream(), scale: scale}
	shotRng, condRng, killRng := r.stream(), r.stream(), r.stream()
	wg.Go(func() { shooter.runShots(ctx, between(shotRng, 300*time.Millisecond, 2*time.Second)) })
	wg.Go(func() { holder.runConditions(ctx, between(condRng, 3*time.Second, 12*time.Second)) })
	rs := &restarter{mirror: r.mirror, verifier: r.newClient(), tally: r.tally, rng: r.stream(),
		quietAfter: r.started.Add(r.set.duration * 3 / 4), onRestart: func() {}}
	wg.Go(func() {
		lo, hi := min(20*time.Second, r.set.duration/8), min(90*time.Second, r.set.duration/4)
		if err := rs.run(ctx, between(killRng, lo, hi)); err != nil {
			r.t.Errorf("restart: %v", err)
			cancel()
		}
	})
	wg.Go(func() { r.sample(ctx) })
	wg.Wait()
}

// between returns a draw of gaps in [lo, hi).
func between(rng *rand.Rand, lo, hi time.Duration) func() time.Duration {
	return func() time.Duration { return lo + time.Duration(rng.Int64N(int64(hi-lo))) }
}

func (r *run) sample(ctx context.Context) {
	bound := int64(cacheMaxSize) + diskSlack(r.world.largest)
	for sleepCtx(ctx, sampleEvery) {
		if r.mirror.current().Exited() {
			continue
		}
		if s, err := take(r.mirror.current().Pid(), r.mirror.metrics, r.dataDir); err == nil {
			r.res.see(s, bound)
		}
	}
}

// work is one client's life: an action drawn by how often real clients do
// it, a pause after a failure, until the run ends.
func (c *client) work(ctx context.Context) {
	for ctx.Err() == nil {
		opCtx, cancel := opContext(ctx)
		ok := c.act(opCtx)
		cancel()
		if !ok {
			c.pause(ctx)
		}
	}
}

// actions are what a client does, weighted by how often (out of 100):
// mostly pulls, as on a build farm, with a steady trickle of pushes.
var actions = []struct {
	weight int
	do     func(*client, context.Context) bool
}{
	{40, (*client).pull},
	{12, (*client).rangeRead},
	{12, (*client).head},
	{6, (*client).tagsList},
	{5, (*client).referrers},
	{15, (*client).push},
	{10, (*client).deleteOne},
}

func (c *client) act(ctx context.Context) bool {
	n := c.rng.IntN(100)
	for _, a := range actions {
		if n -= a.weight; n < 0 {
			return a.do(c, ctx)
		}
	}
	return true
}

func mib(n int64) float64 { return float64(n) / (1 << 20) }

func (r *run) writeReport(lines []string) {
	if r.set.report == "" {
		return
	}
	f, err := os.Create(r.set.report)
	if err != nil {
		r.t.Errorf("SOAK_REPORT: %v", err)
		return
	}
	defer f.Close()
	for _, l := range lines {
		fmt.Fprintln(f, l)
	}
}
