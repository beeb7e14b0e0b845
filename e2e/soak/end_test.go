package soak

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// What "back to baseline" means once the load has stopped and idle
// keep-alive connections are closed, against the first mirror's figures
// before any load. The mirror at the end has a full cache and a bigger
// index (a few more Badger tables open, a larger memtable, Go's heap not
// yet returned), so the bounds are a margin, not equality; a leak of one
// descriptor or goroutine per thousand requests passes them within a
// minute of soak. Measured ends so far: +1 to +4 fds, +1 to +2 goroutines.
const (
	fdMargin        = 12
	goroutineMargin = 12
	rssMargin       = 128 << 20
	// raceRSSMargin is rssMargin for a -race binary, whose shadow memory
	// grows with the heap it has ever touched (182 MiB after 2m, from 54).
	raceRSSMargin = 512 << 20
	// settleTimeout bounds the wait for the figures to come down: idle
	// upload sessions (10s) and idle connections must have expired.
	settleTimeout = 90 * time.Second
	// recoveryAttempts bounds the pulls of one image after the faults end;
	// the tag TTL and the negative TTL are seconds.
	recoveryAttempts = 10
)

// recover ends every fault and checks the mirror serves everything again
// without help: each upstream tag pulls whole, each pushed image is there.
func (r *run) recover() {
	r.hub.DisarmFaults()
	r.hub.SetOffline(false)
	r.hub.SetLatency(0)
	r.hub.SetBandwidth(0)
	if r.mirror.current().Exited() {
		r.tally.event("mirror CRASHED (exited on its own)", 1)
		rs := &restarter{mirror: r.mirror, tally: r.tally}
		if err := rs.startRetrying(); err != nil {
			r.t.Fatal(err)
		}
	}
	c := r.newClient()
	ctx := context.Background()
	for _, repo := range r.world.repos {
		for _, tag := range repo.tags {
			if !c.pullAll(ctx, repo, tag) {
				r.tally.event("upstream images NOT RECOVERED after the faults", 1)
				r.tally.note("recovery", "%s:%s still fails or names an old digest after %d pulls", repo.name, tag, recoveryAttempts)
			}
		}
	}
	checked, _ := c.verifyPushed(ctx)
	r.tally.event("pushed images checked at the end", int64(checked))
	if err := readyAgain(r.mirror.metrics); err != nil {
		r.tally.event("/readyz NOT RECOVERED after the faults", 1)
		r.tally.note("recovery", "%v", err)
	}
}

// readyAgain polls /readyz, bounded, until it says ready with every
// upstream reachable: after the pulls above succeeded it must.
func readyAgain(metricsAddr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := readyOnce(metricsAddr)
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond) // polling with a bounded deadline
	}
}

func readyOnce(metricsAddr string) error {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + metricsAddr + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var rd struct {
		Ready     bool `json:"ready"`
		Upstreams map[string]struct {
			Reachable bool   `json:"reachable"`
			LastError string `json:"last_error"`
		} `json:"upstreams"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&rd); err != nil {
		return fmt.Errorf("/readyz: %d, %v", resp.StatusCode, err)
	}
	if !rd.Ready {
		return fmt.Errorf("/readyz: %d, not ready", resp.StatusCode)
	}
	for host, u := range rd.Upstreams {
		if !u.Reachable {
			return fmt.Errorf("/readyz: upstream %s unreachable (%s)", host, u.LastError)
		}
	}
	return nil
}

// pullAll pulls tag with every platform until one pull succeeds and gives
// the digest the tag names on the Hub now: once the faults are over and
// the tag TTL (seconds) has passed, a retag must show.
func (c *client) pullAll(ctx context.Context, r *upRepo, tag string) bool {
	for range recoveryAttempts {
		if c.pullEvery(ctx, r, tag) {
			return true
		}
		sleepCtx(ctx, time.Second)
	}
	return false
}

func (c *client) pullEvery(ctx context.Context, r *upRepo, tag string) bool {
	ctx, cancel := opContext(ctx)
	defer cancel()
	top, ok := c.getManifest(ctx, r, tag)
	if !ok || top.digest != c.world.current(r, tag) {
		return false
	}
	infos := []*manifestInfo{top}
	for _, d := range top.children {
		child, ok := c.getManifest(ctx, r, d.String())
		if !ok {
			return false
		}
		infos = append(infos, child)
	}
	for _, info := range infos {
		for _, b := range info.blobs {
			if !c.getBlob(ctx, r, b) {
				return false
			}
		}
	}
	return true
}

// settle waits, bounded, for the figures to come back near their start,
// and records where they ended.
func (r *run) settle() {
	// Idle keep-alive connections are kept for reuse, not leaked: the
	// clients and the Hub close theirs, as their idle timeouts would.
	r.http.CloseIdleConnections()
	r.hub.DropIdleConnections()
	deadline := time.Now().Add(settleTimeout)
	for {
		s, err := take(r.mirror.current().Pid(), r.mirror.metrics, r.dataDir)
		if err == nil && (r.settled(s) || time.Now().After(deadline)) {
			r.res.end(s)
			for _, name := range s.tmpNames {
				r.tally.note("temp file left", "%s", name)
			}
			return
		}
		if err != nil && time.Now().After(deadline) {
			r.t.Errorf("no sample at the end: %v", err)
			return
		}
		time.Sleep(500 * time.Millisecond) // polling with a bounded deadline
	}
}

func (r *run) settled(s sample) bool {
	return s.fds <= r.res.fds.start+fdMargin && s.goroutines <= r.res.goroutines.start+goroutineMargin &&
		s.tmpFiles == 0
}

// judge fails the test for every broken promise.
func (r *run) judge() {
	t := r.t
	for _, bad := range []struct {
		what string
		n    int64
	}{
		{"wrong bodies", r.tally.count(resultWrong)},
		{"errors without an OCI body", r.tally.count(resultUnclean)},
		{"lost pushed images", r.tally.eventCount("pushed images LOST")},
		{"crashes", r.tally.eventCount("mirror CRASHED (exited on its own)")},
		{"SIGTERMs not obeyed", r.tally.eventCount("SIGTERM NOT OBEYED in time")},
		{"images not recovered", r.tally.eventCount("upstream images NOT RECOVERED after the faults")},
		{"/readyz not recovered", r.tally.eventCount("/readyz NOT RECOVERED after the faults")},
		{"failed maintenance commands", r.tally.eventCount("maintenance FAILED")},
		{"failed starts", r.tally.eventCount("mirror FAILED TO START (retried)")},
		// Everything the clients ask of upstream exists there: a 404 is a
		// fault (an outage, a token failure) dressed as "not found".
		{"404s for content upstream has", r.upstream404s()},
		// Every blob a manifest names was acknowledged (201) before it is
		// sent, and acknowledged blobs survive kills.
		{"manifest PUTs refused (4xx)", r.tally.clientErrors("manifest PUT")},
		{"disk samples over cap+slack", r.res.overCap},
	} {
		if bad.n != 0 {
			t.Errorf("%d %s (want 0)", bad.n, bad.what)
		}
	}
	for bad, n := range logFindings(r.mirror) {
		t.Errorf("mirror logs: %d × %q", n, bad)
	}
	fired := r.hub.FaultsFired()
	for _, need := range []struct {
		what string
		n    int64
	}{
		{"kill -9", r.tally.eventCount("kill -9")},
		{"upstream outage", r.tally.eventCount("condition: upstream outage")},
		{"corrupt-byte fault fired", fired.Corruptions},
		{"acknowledged push", r.tally.resultCount("manifest PUT", resultOK)},
	} {
		if need.n == 0 {
			t.Errorf("the run had no %s; a soak must", need.what)
		}
	}
	res := &r.res
	if !r.settled(sample{fds: res.fds.end, goroutines: res.goroutines.end, tmpFiles: res.tmpFiles.end}) {
		t.Errorf("resources did not come back: fds %d → %d (margin %d), goroutines %d → %d (margin %d), temp files %d",
			res.fds.start, res.fds.end, fdMargin, res.goroutines.start, res.goroutines.end, goroutineMargin, res.tmpFiles.end)
	}
	if margin := rssBound(); res.rss.end > res.rss.start+margin {
		t.Errorf("RSS %.0f MiB at the end, %.0f at the start (margin %d MiB)", mib(res.rss.end), mib(res.rss.start), margin>>20)
	}
}

func rssBound() int64 {
	if raceEnabled {
		return raceRSSMargin
	}
	return rssMargin
}

// upstreamKinds are the request kinds that name upstream content.
var upstreamKinds = []string{kindManifestGet, kindManifestHead, kindBlobGet, kindBlobHead, kindBlobRange,
	kindBlobLeft, kindTagsList, kindReferrers}

func (r *run) upstream404s() int64 {
	var n int64
	for _, k := range upstreamKinds {
		n += r.tally.resultCount(k, "error 404")
	}
	return n
}

func readLog(m *mirror, gen int) ([]string, error) {
	b, err := os.ReadFile(filepath.Join(m.logDir, fmt.Sprintf("hubmirror-%03d.log", gen)))
	if err != nil {
		return nil, err
	}
	return strings.Split(string(b), "\n"), nil
}
