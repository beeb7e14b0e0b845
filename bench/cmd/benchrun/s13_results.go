package main

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// clusterRun is one setup's cold and warm pull in one repetition.
type clusterRun struct {
	cold, warm pullRound
	// upstreamBytes is what the hub's CDN sent during the cold pull, over
	// the images' blobs (fakehub's blob stats); worstBlob the most of one
	// blob's size it sent for that blob: 1 when every blob left upstream once.
	upstreamBytes int64
	worstBlob     float64
	manifestGets  int64 // manifest GETs that reached the hub, cold
	warmUpstream  int64 // requests of any kind that reached the hub, warm
	// CPU seconds (user + system) the warm pull cost the replicas and
	// HAProxy: what the balancer costs, less at the mercy of the machine's
	// other load than wall time is.
	warmReplicaCPU, warmLBCPU float64
	load                      string
}

func (r *clusterRun) fromCounts(c hubinfo.Counts) {
	r.manifestGets = c.ManifestGets
	for d, size := range r.cold.distinct {
		st := c.BlobStats[d]
		r.upstreamBytes += st.Bytes
		if size > 0 {
			r.worstBlob = max(r.worstBlob, float64(st.Bytes)/float64(size))
		}
	}
}

func (r clusterRun) upstreamRatio() float64 {
	if d := r.cold.distinctBytes(); d > 0 {
		return float64(r.upstreamBytes) / float64(d)
	}
	return 0
}

// warmMBps is the warm pull's aggregate: every byte every node received
// over the wall of the whole round.
func (r clusterRun) warmMBps() float64 {
	if r.warm.wall <= 0 {
		return 0
	}
	return float64(r.warm.bytes) / 1e6 / r.warm.wall.Seconds()
}

// warmCPUPerGiB is the servers' CPU, HAProxy's included, per GiB the nodes
// received warm.
func (r clusterRun) warmCPUPerGiB() float64 {
	return (r.warmReplicaCPU + r.warmLBCPU) / gib(r.warm.bytes)
}

func gib(n int64) float64 { return max(float64(n), 1) / (1 << 30) }

// exactlyOnce is the acceptance point: upstream sent each distinct blob's
// bytes once, no more, no less.
func (r clusterRun) exactlyOnce() bool {
	return r.upstreamBytes == r.cold.distinctBytes() && r.worstBlob == 1
}

// clusterResults are scenario 13's runs by setup name, in run order.
type clusterResults struct {
	runs            map[string][]clusterRun
	clients, images int
	layer           string
	haproxyCfg      string // as given to --haproxy-cfg
}

func (c *clusterResults) describe(clients, images int, layer, haproxyCfg string) {
	c.clients, c.images, c.layer, c.haproxyCfg = clients, images, layer, haproxyCfg
}

// deployedCfg is how the published run names the config: the file itself.
const deployedCfg = "deploy/haproxy/haproxy.cfg"

// cfgNote says which HAProxy config ran, loudly when it was not the
// deployed one (--haproxy-cfg, for trying a setting).
func (c *clusterResults) cfgNote() string {
	if filepath.ToSlash(c.haproxyCfg) == deployedCfg || strings.HasSuffix(filepath.ToSlash(c.haproxyCfg), "/"+deployedCfg) {
		return "deploy/haproxy/haproxy.cfg itself"
	}
	return fmt.Sprintf("**%s, not the deployed deploy/haproxy/haproxy.cfg**", c.haproxyCfg)
}

func (c *clusterResults) add(setup string, r clusterRun) {
	if c.runs == nil {
		c.runs = map[string][]clusterRun{}
	}
	c.runs[setup] = append(c.runs[setup], r)
}

func (c *clusterResults) each(setup string, f func(clusterRun) float64) []float64 {
	var out []float64
	for _, r := range c.runs[setup] {
		out = append(out, f(r))
	}
	return out
}

func coldSeconds(r clusterRun) float64 { return r.cold.wall.Seconds() }
func warmMBps(r clusterRun) float64    { return r.warmMBps() }
func warmCPU(r clusterRun) float64     { return r.warmCPUPerGiB() }

// clusterRows are scenario 13's lines of the results table: the balanced
// setups in the hubmirror column, the single replica as the reference.
func clusterRows(r *results) []row {
	c := r.cluster
	if len(c.runs) == 0 {
		return nil
	}
	var rows []row
	for _, s := range []string{clusterTriple, clusterProxied} {
		rows = append(rows,
			c.ratioRow(s, "cold: wall s, first request to the last node's last byte", coldSeconds),
			c.ratioRow(s, "warm (same nodes, again): aggregate MB/s", warmMBps),
			c.cpuRow(s))
	}
	return append(rows, c.upstreamRow())
}

func (c *clusterResults) ratioRow(setup, what string, f func(clusterRun) float64) row {
	runs, ref := c.each(setup, f), c.each(clusterSingle, f)
	m, ok := medianOf(runs)
	rm, rok := medianOf(ref)
	return row{id: "13", figure: fmt.Sprintf("cluster pull, %s: %s (median of %d; min–max)", setup, what, len(runs)),
		hub: spread(m, runs, ok), reg: none, ref: clusterSingle + " " + spread(rm, ref, rok),
		hubRatio: ratioOf(runRatio(runs, ref), ok && rok), regRatio: none, target: none, verdict: none}
}

// cpuRow is the warm pull's server CPU, with HAProxy's part of it.
func (c *clusterResults) cpuRow(setup string) row {
	x := c.ratioRow(setup, "warm: server CPU s per GiB received (replicas + HAProxy)", warmCPU)
	lb := c.each(setup, func(r clusterRun) float64 { return r.warmLBCPU / gib(r.warm.bytes) })
	m, ok := medianOf(lb)
	x.hub += "; HAProxy's part " + spread(m, lb, ok)
	return x
}

// upstreamRow says whether every setup fetched each distinct blob once.
func (c *clusterResults) upstreamRow() row {
	figs := map[string]string{}
	measured, pass := len(c.runs[clusterSingle]) > 0 && len(c.runs[clusterTriple]) > 0, true
	for _, s := range clusterSetups {
		ratios, worst := c.each(s.name, clusterRun.upstreamRatio), c.each(s.name, func(r clusterRun) float64 { return r.worstBlob })
		for _, r := range c.runs[s.name] {
			pass = pass && r.exactlyOnce()
		}
		if len(ratios) == 0 {
			figs[s.name] = none
			continue
		}
		gets := c.each(s.name, func(r clusterRun) float64 { return float64(r.manifestGets) })
		warm := c.each(s.name, func(r clusterRun) float64 { return float64(r.warmUpstream) })
		figs[s.name] = fmt.Sprintf("%.2f× (%.2f–%.2f; worst blob %.2f×), manifest GETs ≤ %.0f, warm requests upstream ≤ %.0f",
			median(ratios), slices.Min(ratios), slices.Max(ratios), slices.Max(worst), slices.Max(gets), slices.Max(warm))
	}
	return row{id: "13", figure: fmt.Sprintf("cluster pull, cold: upstream bytes (fakehub's blob stats) ÷ the distinct blobs' bytes (%d tags)", c.images),
		hub: clusterTriple + " " + figs[clusterTriple] + "; " + clusterProxied + " " + figs[clusterProxied],
		reg: none, ref: clusterSingle + " " + figs[clusterSingle], hubRatio: none, regRatio: none,
		target: "1.00× in every setup", verdict: verdict(measured, pass)}
}

// clusterNote describes scenario 13 for RESULTS.md.
func clusterNote(c clusterResults, repeat int) string {
	if len(c.runs) == 0 {
		return "11: not run."
	}
	var loads []string
	for _, s := range clusterSetups {
		for i, r := range c.runs[s.name] {
			loads = append(loads, fmt.Sprintf("%s run %d: %s", s.name, i+1, r.load))
		}
	}
	run := c.runs[clusterSingle]
	var distinct, warm int64
	if len(run) > 0 {
		distinct, warm = run[0].cold.distinctBytes(), run[0].warm.bytes
	}
	return fmt.Sprintf("11: %d nodes (goroutines with connections of their own) split across %d images (node i pulls image i mod %d) that share a base layer, each layer %s: %d distinct blobs, %s, %s received per pull round. Each node pulls as crane does: the manifest by tag, then config and layers %d at a time, every blob checked against its sha256. Setups, back to back in each of %d repetitions, each on fresh caches: one hubmirror alone (the reference); three hubmirror replicas (`--trusted-proxy 127.0.0.0/8`) behind the real HAProxy running %s; and the one replica named on all three of its server lines, which isolates HAProxy's cost from the split. Cold = all nodes at once on empty caches; warm = the same nodes again at once, within the tag TTL, aggregate MB/s = bytes all nodes received ÷ the round's wall. Server CPU = utime+stime (/proc) of the replicas and HAProxy over the warm round, per GiB the nodes received; the nodes' own CPU (sha256 of every byte) is not counted, and it is the figure least moved by other load on the machine. Ratios are medians of per-repetition ratios to the single replica. All of it shares this machine's 2 cores: three replicas cannot be faster than one here; the ratio is what the balancer costs, not what three machines gain. Load average (1 min) at each run's start: %s.",
		c.clients, c.images, c.images, c.layer, len(runDistinct(run)), humanize.IBytes(uint64(distinct)), humanize.IBytes(uint64(warm)), clusterJobs, repeat, c.cfgNote(), strings.Join(loads, "; "))
}

func runDistinct(runs []clusterRun) map[string]int64 {
	if len(runs) == 0 {
		return nil
	}
	return runs[0].cold.distinct
}
