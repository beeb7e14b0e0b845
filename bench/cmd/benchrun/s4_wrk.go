package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// dockerAccept is the Accept header docker sends for a manifest. It must
// include the index types: a mirror may only cache what a tag means for
// everyone from a request that could have taken the whole index.
const dockerAccept = "application/vnd.docker.distribution.manifest.v2+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, " +
	"application/vnd.oci.image.index.v1+json, " +
	"application/vnd.oci.image.manifest.v1+json"

// wrkResult is scenario 4 for one system.
type wrkResult struct {
	reqPerSec     float64
	p50, p99      time.Duration
	non2xx        int64 // a system answering errors fast is not fast
	upstreamHeads int64 // manifest HEADs upstream saw during the run
	upstreamGets  int64
}

// manifestKind is one of scenario 4's requests: what docker sends first
// (GET by tag), what containerd and crane send first (HEAD by tag), and
// what every client sends once it knows the digest (GET by digest).
type manifestKind struct {
	key, figure string
	head        bool // sent by headLoad: wrk cannot send HEAD
	byDigest    bool
}

var manifestKinds = []manifestKind{
	{key: "get-tag", figure: "GET by tag"},
	{key: "head-tag", figure: "HEAD by tag", head: true},
	{key: "get-digest", figure: "GET by digest", byDigest: true},
}

// manifestRuns is scenario 4: kind → system → one wrkResult per round.
type manifestRuns map[string]map[string][]wrkResult

func (m manifestRuns) add(kind, system string, r wrkResult) {
	if m[kind] == nil {
		m[kind] = map[string][]wrkResult{}
	}
	m[kind][system] = append(m[kind][system], r)
}

// manifests is scenario 4: a manifest already cached, hammered by wrk (16
// connections, 2 threads for 2 cores) by tag with GET and HEAD and by
// digest. nginx serves the same bytes as files at the same paths
// (/v2/<repo>/manifests/<tag> and …/<digest>) under the same load: the
// latency this machine allows when the load generator shares its cores.
// Rounds interleave nginx, hubmirror and registry:2 for each kind, so a
// busy moment of the machine lands on all of them; ratios pair the runs
// of one round.
func (b *bench) manifests() {
	paths, err := b.warmManifests()
	if err != nil {
		b.res.problem("scenario 4: %v", err)
		return
	}
	floor, err := b.startGoFloor(paths["get-tag"])
	if err != nil {
		b.res.problem("scenario 4: the Go floor: %v", err)
	} else {
		defer stop(floor.proc)
	}
	servers := b.systems
	if floor != nil {
		servers = append([]*system{floor}, servers...)
	}
	b.manifestRounds(b.res.manifest, "", append([]*system{b.nginx}, servers...), paths)
	b.manifestsPinned(servers, paths)
}

// manifestRounds runs every kind on every system in turn, round after
// round, into runs; label tells the log lines of the pinned pass apart.
func (b *bench) manifestRounds(runs manifestRuns, label string, systems []*system, paths map[string]string) {
	for round := range b.cfg.manifestRepeat {
		for _, k := range manifestKinds {
			for _, s := range systems {
				b.manifestRun(runs, label, round, k, s, s.url+paths[k.key])
			}
		}
	}
}

// goFloorName names bench/cmd/gofloor in scenario 4's results.
const goFloorName = "go net/http"

// startGoFloor serves the manifests warmManifests wrote to nginx's root
// from a bare net/http handler (bench/cmd/gofloor), once they are there.
func (b *bench) startGoFloor(probePath string) (*system, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	p, err := b.ps.start("gofloor", offlineEnv(), filepath.Join(b.cfg.binDir, "gofloor"),
		"--listen", addr, "--root", filepath.Join(b.cfg.work, "www"))
	if err != nil {
		return nil, err
	}
	s := &system{name: goFloorName, url: "http://" + addr, proc: p}
	return s, waitReady(p, readyTimeout, func() error { return probe(s.url + probePath) })
}

// warmManifests puts the tag's manifest in every cache (by tag and by
// digest) and in nginx's root at the same paths, and returns the path of
// each kind's request.
func (b *bench) warmManifests() (map[string]string, error) {
	base := fmt.Sprintf("/v2/%s/manifests/", b.hub.Tagged.Repo)
	tag := base + b.hub.Tagged.Tags[0]
	var body []byte
	var digest string
	for _, s := range b.systems {
		resp, got, err := getJSON(b.ctx, s.url+tag, "Accept", dockerAccept)
		if err != nil {
			return nil, fmt.Errorf("%s: warming: %w", s.name, err)
		}
		body, digest = got, resp.Header.Get("Docker-Content-Digest")
		if _, _, err := getJSON(b.ctx, s.url+base+digest, "Accept", dockerAccept); err != nil {
			return nil, fmt.Errorf("%s: warming by digest: %w", s.name, err)
		}
	}
	if digest == "" {
		return nil, fmt.Errorf("no Docker-Content-Digest on the warm manifest")
	}
	dir := filepath.Join(b.cfg.work, "www", filepath.FromSlash(base))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	for _, name := range []string{b.hub.Tagged.Tags[0], digest} {
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			return nil, err
		}
	}
	return map[string]string{"get-tag": tag, "head-tag": tag, "get-digest": base + digest}, nil
}

func (b *bench) manifestRun(runs manifestRuns, label string, round int, k manifestKind, s *system, url string) {
	if err := b.hub.reset(); err != nil {
		b.res.problem("scenario 4: %v", err)
		return
	}
	var r wrkResult
	var err error
	b.profiled(fmt.Sprintf("wrk%s-%s-%s-%d", label, k.key, s.name, round), func() {
		if k.head {
			r, err = headLoad(b.ctx, url, dockerAccept, 16, b.cfg.manifestWrk)
		} else {
			r, err = runWrk(b.ctx, url, b.cfg.manifestWrk)
		}
	})
	if err != nil {
		b.res.problem("scenario 4: %s %s: %v", k.figure, s.name, err)
		return
	}
	if c, err := b.hub.counts(); err == nil {
		r.upstreamHeads, r.upstreamGets = c.ManifestHeads, c.ManifestGets
	}
	runs.add(k.key, s.name, r)
	logf("scenario 4%s: %-13s %-10s %.0f req/s, p50 %s, p99 %s, non-2xx %d", label, k.figure, s.name, r.reqPerSec, r.p50, r.p99, r.non2xx)
}

// runWrk runs wrk as every scenario-4 GET does.
func runWrk(ctx context.Context, url string, d time.Duration) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+time.Minute)
	defer cancel()
	secs := fmt.Sprintf("%ds", max(1, int(d.Round(time.Second).Seconds()))) // wrk takes no fractions
	args := []string{"-t2", "-c16", "-d" + secs, "--timeout", "5s", "--latency", "-H", "Accept: " + dockerAccept}
	out, err := exec.CommandContext(ctx, "wrk", append(args, url)...).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return parseWrk(string(out))
}

var (
	wrkRate   = regexp.MustCompile(`Requests/sec:\s+([0-9.]+)`)
	wrkP50    = regexp.MustCompile(`\n\s+50%\s+([0-9.]+[a-z]+)`)
	wrkP99    = regexp.MustCompile(`\n\s+99%\s+([0-9.]+[a-z]+)`)
	wrkNon2xx = regexp.MustCompile(`Non-2xx or 3xx responses:\s+([0-9]+)`)
)

// parseWrk reads wrk's summary; wrk prints latencies as 206.00us, 1.05ms
// or 1.00s, all of which time.ParseDuration accepts.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := wrkRate.FindStringSubmatch(out)
	p50 := wrkP50.FindStringSubmatch(out)
	p99 := wrkP99.FindStringSubmatch(out)
	if m == nil || p50 == nil || p99 == nil {
		return r, fmt.Errorf("cannot read wrk's output:\n%s", out)
	}
	r.reqPerSec, _ = strconv.ParseFloat(m[1], 64)
	var err1, err2 error
	r.p50, err1 = time.ParseDuration(p50[1])
	r.p99, err2 = time.ParseDuration(p99[1])
	if n := wrkNon2xx.FindStringSubmatch(out); n != nil {
		r.non2xx, _ = strconv.ParseInt(n[1], 10, 64)
	}
	if err1 != nil || err2 != nil {
		return r, fmt.Errorf("wrk latencies: %v %v", err1, err2)
	}
	if r.reqPerSec == 0 { // every answer a socket error: not a fast server
		return r, fmt.Errorf("wrk counted no request answered:\n%s", out)
	}
	return r, nil
}
