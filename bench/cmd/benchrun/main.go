// Command benchrun runs hubmirror's side-by-side benchmarks (issue 7) and
// writes bench/RESULTS.md. bench/run.sh installs the tools, builds the
// binaries and calls it; run it directly only with those in place.
//
// It starts the fake Docker Hub (bench/cmd/fakehub), hubmirror and the
// distribution registry in proxy mode, both pointed at that hub, and
// nginx and private dockerds when a scenario needs them, all on
// 127.0.0.1, and stops every one of them before it returns.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

type config struct {
	binDir, work, out, pidFile string
	micro                      string
	bigBlob, coldBlob          string
	pushSize                   int64
	bandwidth                  string
	clients, runs, repeat      int
	tags, warmPulls            int
	wrkDuration, idle, timeout time.Duration
	docker                     bool
	only                       string
	perf                       bool
	// scenario 8's far link
	farBlob            string
	farConn, farLinkBW int64
	farRTT             time.Duration
	hubmirrorFlags     string
	// scenario 10's caches
	scaleBlobs []int
	scaleTags  int
	// scenario 13's cluster pull
	clusterClients, clusterImages int
	clusterLayer, haproxyCfg      string
	// scenario 4's wrk runs: each this long, rounds interleaving the systems
	manifestWrk    time.Duration
	manifestRepeat int
	// scenario 12: the warm blob 500 clients fetch, and one run's length
	manyBlob     string
	manyDuration time.Duration
}

func parseFlags() config {
	var c config
	flag.StringVar(&c.binDir, "bin-dir", "", "directory holding the hubmirror, fakehub and registry binaries")
	flag.StringVar(&c.work, "work", "", "scratch directory: caches, logs, configs")
	flag.StringVar(&c.out, "out", "bench/RESULTS.md", "where to write the results")
	flag.StringVar(&c.pidFile, "pid-file", "", "append the pid of every process started here, for the caller's trap")
	flag.StringVar(&c.micro, "micro", "", "output of the Go micro-benchmarks, to include in the results")
	flag.StringVar(&c.bigBlob, "big", "1GiB", "scenario 1's warm blob")
	flag.StringVar(&c.coldBlob, "cold", "512MiB", "scenarios 2 and 3's cold blobs")
	pushSize := flag.String("push-size", "512MiB", "scenario 9's fresh layer; the same as --cold, so its pull compares with a mirrored blob")
	flag.StringVar(&c.bandwidth, "bandwidth", "200MB", "per-response upstream cap (per second) for every scenario")
	flag.IntVar(&c.clients, "clients", 8, "scenario 3's concurrent clients")
	flag.IntVar(&c.runs, "runs", 7, "scenario 1's measured curl runs per system")
	flag.IntVar(&c.repeat, "repeat", 3, "repetitions of scenarios 2 and 3, each on fresh blobs; medians are reported")
	flag.IntVar(&c.tags, "tags", 100, "scenario 7's warm pulls (one per tag)")
	flag.IntVar(&c.warmPulls, "warm-rounds", 5, "scenario 6's warm docker pull rounds")
	flag.DurationVar(&c.wrkDuration, "wrk-duration", 10*time.Second, "a wrk run of a scenario without its own setting (scenario 4 has --manifest-wrk-duration)")
	flag.DurationVar(&c.manifestWrk, "manifest-wrk-duration", 4*time.Second, "scenario 4: one wrk run (of one request kind, one system)")
	flag.IntVar(&c.manifestRepeat, "manifest-repeat", 3, "scenario 4: rounds, each running every kind on nginx, hubmirror and registry:2 in turn")
	flag.DurationVar(&c.idle, "idle", 5*time.Second, "scenario 5's pause before reading idle RSS")
	flag.DurationVar(&c.timeout, "timeout", 25*time.Minute, "the whole run's limit")
	flag.BoolVar(&c.docker, "docker", true, "run scenario 6 (needs root, dockerd, containerd, runc)")
	flag.BoolVar(&c.perf, "perf", false, "record a system-wide `perf record -g` profile of scenarios 3 and 4, per system, into the work dir")
	flag.StringVar(&c.only, "only", "", "run only these scenarios, e.g. 3,4 (for profiling; RESULTS.md then lacks the rest)")
	flag.StringVar(&c.manyBlob, "many-blob", "64MiB", "scenario 12's warm blob, fetched by 500 clients at once")
	flag.DurationVar(&c.manyDuration, "many-duration", 5*time.Second, "scenario 12: one run of the 500 clients")
	flag.StringVar(&c.farBlob, "far-blob", "256MiB", "scenario 8's cold blobs")
	farConn := flag.String("far-conn-bandwidth", "20MB", "scenario 8: cap on each CDN connection (per second)")
	farLink := flag.String("far-link-bandwidth", "200MB", "scenario 8: cap shared by all CDN connections (per second)")
	flag.StringVar(&c.hubmirrorFlags, "hubmirror-flags", "", "extra hubmirror serve flags, space-separated, to try a setting (RESULTS.md then says so)")
	flag.IntVar(&c.clusterClients, "cluster-clients", 32, "scenario 13: concurrent clients, split across the images")
	flag.IntVar(&c.clusterImages, "cluster-images", 6, "scenario 13: images sharing one base layer")
	flag.StringVar(&c.clusterLayer, "cluster-layer", "8MiB", "scenario 13: size of every layer of its images")
	flag.StringVar(&c.haproxyCfg, "haproxy-cfg", deployedCfg, "scenario 13: the deployed HAProxy config, used as it is (another file only to try a setting; RESULTS.md then says so)")
	flag.DurationVar(&c.farRTT, "far-rtt", 100*time.Millisecond, "scenario 8: round trip before every upstream answer")
	scaleBlobs := flag.String("scale-blobs", "10000,100000,1000000", "scenario 10: blobs in each cache measured")
	flag.IntVar(&c.scaleTags, "scale-tags", 100_000, "scenario 10: tags in every cache")
	flag.Parse()
	c.scaleBlobs = parseCounts("--scale-blobs", *scaleBlobs)
	size, err := humanize.ParseBytes(*pushSize)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchrun: --push-size:", err)
		os.Exit(2)
	}
	c.pushSize = int64(size)
	if c.farConn, err = hubinfo.ParseSize(*farConn); err != nil {
		fatalFlag("--far-conn-bandwidth", err)
	}
	if c.farLinkBW, err = hubinfo.ParseSize(*farLink); err != nil {
		fatalFlag("--far-link-bandwidth", err)
	}
	return c
}

func fatalFlag(name string, err error) {
	fmt.Fprintf(os.Stderr, "benchrun: %s: %v\n", name, err)
	os.Exit(2)
}

func main() {
	cfg := parseFlags()
	if cfg.binDir == "" || cfg.work == "" || cfg.repeat < 1 || cfg.clients < 1 || cfg.tags < 1 {
		fmt.Fprintln(os.Stderr, "benchrun: --bin-dir and --work are required (use bench/run.sh); --repeat, --clients, --tags ≥ 1")
		os.Exit(2)
	}
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "benchrun:", err)
		os.Exit(1)
	}
}

// bench is one run: the processes, the hub, the systems under test.
type bench struct {
	ctx     context.Context
	cfg     config
	ps      *procs
	hub     *hub
	systems []*system // hubmirror first, then registry:2
	nginx   *system   // serves the blobs' files with sendfile: the reference
	// nginxBuf is the same nginx on another port, sendfile off and 1 MiB
	// output buffers: scenario 1's other reference mode.
	nginxBuf *system
	res      *results

	// loopbackBandwidth is --bandwidth, which scenario 8 restores after it.
	loopbackBandwidth int64
}

func run(cfg config) error {
	ctx, cancel := context.WithTimeout(context.Background(), cfg.timeout)
	defer cancel()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	b := &bench{ctx: ctx, cfg: cfg, ps: &procs{dir: cfg.work, pidFile: cfg.pidFile}, res: newResults()}
	defer b.ps.stopAll()
	if err := b.start(); err != nil {
		return err
	}
	b.scenarios()
	b.res.micro = readMicro(cfg.micro)
	if err := ctx.Err(); err != nil {
		// An interrupted run must not replace a complete RESULTS.md.
		partial := filepath.Join(cfg.work, "RESULTS.partial.md")
		if werr := writeReport(partial, b.res, gatherSysinfo(cfg.binDir)); werr != nil {
			return werr
		}
		return fmt.Errorf("run interrupted (%v); partial results in %s", err, partial)
	}
	return writeReport(cfg.out, b.res, gatherSysinfo(cfg.binDir))
}

// start brings up the hub, both systems and nginx. Blob order matters:
// [0] is scenario 1's, then cfg.repeat for scenario 2 (coldBlobs), then
// cfg.repeat for scenario 3 (fanoutBlobs).
func (b *bench) start() error {
	www := filepath.Join(b.cfg.work, "www")
	if err := os.MkdirAll(www, 0o755); err != nil {
		return err
	}
	sizes := []string{b.cfg.bigBlob}
	for range 2 * b.cfg.repeat {
		sizes = append(sizes, b.cfg.coldBlob)
	}
	for range 2 * b.cfg.repeat {
		sizes = append(sizes, b.cfg.farBlob)
	}
	for range len(crowdSizes) * b.cfg.repeat { // scenario 11
		sizes = append(sizes, b.cfg.coldBlob)
	}
	sizes = append(sizes, b.cfg.manyBlob) // scenario 12
	var err error
	if b.loopbackBandwidth, err = hubinfo.ParseSize(b.cfg.bandwidth); err != nil {
		return fmt.Errorf("--bandwidth: %w", err)
	}
	logf("starting fakehub (blobs %s; bandwidth %s/s per response)", strings.Join(sizes, ", "), b.cfg.bandwidth)
	b.hub, err = startHub(b.ps, filepath.Join(b.cfg.binDir, "fakehub"), b.cfg.bandwidth, sizes, b.cfg.tags+1, b.cfg.repeat, www,
		"--cluster-images", fmt.Sprint(b.cfg.clusterImages), "--cluster-layer", b.cfg.clusterLayer)
	if err != nil {
		return err
	}
	b.recordSetup()
	hm, err := startHubmirror(b.ps, filepath.Join(b.cfg.binDir, "hubmirror"), b.hub.URL, strings.Fields(b.cfg.hubmirrorFlags)...)
	if err != nil {
		return err
	}
	reg, err := startRegistry(b.ps, filepath.Join(b.cfg.binDir, "registry"), b.hub.URL)
	if err != nil {
		return err
	}
	b.systems = []*system{hm, reg}
	b.nginx, b.nginxBuf, err = startNginx(b.ps, www)
	return err
}

func (b *bench) recordSetup() {
	b.res.setup = setupNotes{
		bigBlob: b.hub.Blobs[0].Size, coldBlob: b.hub.Blobs[1].Size, bandwidth: b.cfg.bandwidth,
		clients: b.cfg.clients, runs: b.cfg.runs, repeat: b.cfg.repeat, wrkDuration: b.cfg.wrkDuration,
		manifestWrk: b.cfg.manifestWrk, manifestRepeat: b.cfg.manifestRepeat,
		manyBlob: b.manyBlob().Size, manyDuration: b.cfg.manyDuration,
		warmPulls: b.cfg.warmPulls, tagPulls: b.cfg.tags,
		farBlob: b.hub.Blobs[1+2*b.cfg.repeat].Size, farLink: b.farLink(), farLayers: farLayerCount(b.hub.FarImages),
		hubmirrorFlags: b.cfg.hubmirrorFlags,
	}
}

// scenarios runs in an order that keeps each figure clean: scenario 3
// comes first so that the peak RSS (scenario 5) covers only start-up and
// the fan-out; the docker pulls come last because they need a dockerd per
// system.
func (b *bench) scenarios() {
	steps := []struct {
		id, name string
		run      func()
	}{
		{"3", "3+5 cold fan-out and memory", b.fanOut},
		{"2", "2 cold one client", b.coldOne},
		{"1", "1 warm blob", b.warmBlob},
		{"4", "4 warm manifest", b.manifests},
		{"11", "11 cold crowds, upstream uncapped", b.crowdFills},
		{"7", "7 fresh tags", b.freshTags},
		{"6", "6 docker pull", b.dockerPulls},
		{"9", "9 push", b.pushes},
		// After 9: 500 clients leave the process's RSS high for a while, and
		// 9's peak is measured from the RSS its push starts at.
		{"12", "12 500 clients of a warm blob", b.manyWarm},
		{"8", "8 far link", b.farScenarios},
		{"10", "10 cost by cache size", b.scale},
		{"13", "13 cluster pull", b.clusterPull},
	}
	for _, s := range steps {
		switch {
		case b.cfg.only != "" && !slices.Contains(strings.Split(b.cfg.only, ","), s.id):
			b.res.problem("scenario %s not run (--only %s)", s.name, b.cfg.only)
		case b.ctx.Err() != nil:
			b.res.problem("scenario %s skipped: %v", s.name, b.ctx.Err())
		case s.id == "6" && !b.cfg.docker:
			b.res.problem("scenario 6 skipped (--docker=false)")
		default:
			s.run()
		}
	}
}
