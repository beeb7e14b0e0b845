package main

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// results collects every figure, keyed by the name of the system that
// produced it ("hubmirror", "registry:2", and the references "nginx" and
// "direct").
type results struct {
	mu        sync.Mutex
	started   time.Time
	loadStart string // 1-minute load average when the run began
	setup     setupNotes

	warmMBps map[string]float64 // scenario 1: median curl throughput
	warmRuns map[string][]float64
	warmCPU  map[string]float64   // scenario 1: server CPU seconds per GiB sent
	warmBest string               // scenario 1: the faster nginx mode, which "nginx" copies
	coldRuns map[string][]float64 // scenario 2: one client's wall, per repetition
	fan      map[string][]fanout  // scenario 3, per repetition
	mem      map[string]memory    // scenario 5
	manifest manifestRuns         // scenario 4
	pinned   manifestRuns         // scenario 4 again, servers and client on separate cores
	crowd    crowdResults         // scenario 11
	many     manyResults          // scenario 12
	docker   map[string]dockerResult
	tags     map[string]tagResult
	far      farResults     // scenario 8
	push     *pushResult    // scenario 9; nil when not run
	scale    *scaleRun      // scenario 10; nil when not run
	cluster  clusterResults // scenario 13
	problems []string       // failures, in the order they happened
	micro    []string       // `go test -bench` result lines
}

// setupNotes describes the run, for the header of RESULTS.md.
type setupNotes struct {
	bigBlob, coldBlob int64
	bandwidth         string
	clients, runs     int
	repeat            int
	wrkDuration       time.Duration
	manifestWrk       time.Duration // scenario 4: one wrk run
	manifestRepeat    int           // scenario 4: rounds
	manyBlob          int64         // scenario 12's warm blob
	manyDuration      time.Duration // scenario 12: one run
	warmPulls         int
	tagPulls          int
	farBlob           int64 // scenario 8
	farLink           hubinfo.Link
	farLayers         int
	hubmirrorFlags    string
}

func newResults() *results {
	return &results{
		started: time.Now(), loadStart: loadAverage(),
		warmMBps: map[string]float64{}, warmRuns: map[string][]float64{}, warmCPU: map[string]float64{},
		coldRuns: map[string][]float64{},
		fan:      map[string][]fanout{}, mem: map[string]memory{}, manifest: manifestRuns{}, pinned: manifestRuns{}, crowd: crowdResults{}, many: manyResults{},
		docker: map[string]dockerResult{}, tags: map[string]tagResult{},
		far: newFarResults(),
	}
}

// problem records a failed step; the run goes on so that one broken
// scenario does not cost every other figure.
func (r *results) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	logf("PROBLEM: %s", msg)
	r.mu.Lock()
	r.problems = append(r.problems, msg)
	r.mu.Unlock()
}

// bestNginx makes the faster of scenario 1's nginx modes the "nginx"
// reference, its CPU per GiB included: the target is the machine's limit,
// so both figures come from the same mode.
func (r *results) bestNginx(modes ...string) {
	for _, m := range modes {
		if _, ok := r.warmMBps[m]; ok && (r.warmBest == "" || r.warmMBps[m] > r.warmMBps[r.warmBest]) {
			r.warmBest = m
		}
	}
	if r.warmBest == "" {
		return
	}
	r.warmMBps["nginx"] = r.warmMBps[r.warmBest]
	r.warmRuns["nginx"] = r.warmRuns[r.warmBest]
	r.warmCPU["nginx"] = r.warmCPU[r.warmBest]
	logf("scenario 1: reference = %s", r.warmBest)
}

func (r *results) addCold(name string, seconds float64) {
	r.coldRuns[name] = append(r.coldRuns[name], seconds)
}

func (r *results) addFan(name string, f fanout) {
	r.fan[name] = append(r.fan[name], f)
}

// cold is scenario 2's median wall for name.
func (r *results) cold(name string) (float64, bool) {
	runs := r.coldRuns[name]
	return median(runs), len(runs) > 0
}

// memory is scenario 5: resident set sizes in bytes.
type memory struct {
	peak int64 // VmHWM: since start, which was just before scenario 3
	idle int64 // VmRSS after the idle wait that follows scenario 3
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

func medianDuration(ds []time.Duration) time.Duration {
	xs := make([]float64, len(ds))
	for i, d := range ds {
		xs[i] = float64(d)
	}
	return time.Duration(median(xs))
}

func logf(format string, args ...any) {
	fmt.Printf("%s  %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// readMicro keeps the result lines of `go test -bench` output.
func readMicro(path string) []string {
	if path == "" {
		return nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var out []string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "cpu:") && len(out) == 0 {
			out = append(out, strings.TrimRight(line, " \t"))
		}
	}
	return out
}
