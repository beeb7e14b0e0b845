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

// manifests is scenario 4: a manifest by tag, already cached, hammered by
// wrk (16 connections, 2 threads for 2 cores) for cfg.wrkDuration. nginx
// serving the same bytes as a static file, under the same load, shows what
// latency this machine allows when the load generator shares its cores.
func (b *bench) manifests() {
	for _, s := range b.systems {
		b.manifestsOf(s)
	}
	b.manifestFloor()
}

func (b *bench) manifestsOf(s *system) {
	url := fmt.Sprintf("%s/v2/%s/manifests/%s", s.url, b.hub.Tagged.Repo, b.hub.Tagged.Tags[0])
	_, body, err := getJSON(b.ctx, url, "Accept", dockerAccept)
	if err != nil {
		b.res.problem("scenario 4: %s: warming: %v", s.name, err)
		return
	}
	b.manifestBody = body
	if err := b.hub.reset(); err != nil {
		b.res.problem("scenario 4: %v", err)
		return
	}
	var r wrkResult
	b.profiled("wrk-"+s.name, func() { r, err = runWrk(b.ctx, url, b.cfg.wrkDuration) })
	if err != nil {
		b.res.problem("scenario 4: %s: %v", s.name, err)
		return
	}
	if c, err := b.hub.counts(); err == nil {
		r.upstreamHeads, r.upstreamGets = c.ManifestHeads, c.ManifestGets
	}
	b.res.wrk[s.name] = r
	logf("scenario 4: %-10s %.0f req/s, p50 %s, p99 %s, non-2xx %d", s.name, r.reqPerSec, r.p50, r.p99, r.non2xx)
}

func (b *bench) manifestFloor() {
	if b.manifestBody == nil {
		return
	}
	const name = "manifest.json"
	if err := os.WriteFile(filepath.Join(b.cfg.work, "www", name), b.manifestBody, 0o644); err != nil {
		b.res.problem("scenario 4: nginx: %v", err)
		return
	}
	r, err := runWrk(b.ctx, b.nginx.url+"/"+name, b.cfg.wrkDuration)
	if err != nil {
		b.res.problem("scenario 4: nginx: %v", err)
		return
	}
	b.res.wrk[b.nginx.name] = r
	logf("scenario 4: %-10s %.0f req/s, p50 %s, p99 %s, non-2xx %d", b.nginx.name, r.reqPerSec, r.p50, r.p99, r.non2xx)
}

func runWrk(ctx context.Context, url string, d time.Duration) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wrk", "-t2", "-c16", "-d"+d.String(), "--timeout", "5s",
		"--latency", "-H", "Accept: "+dockerAccept, url).CombinedOutput()
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
	return r, nil
}
