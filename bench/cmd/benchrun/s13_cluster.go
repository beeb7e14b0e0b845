package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/internal/haproxytest"
	"github.com/hubmirror/hubmirror/internal/proctest"
)

// Scenario 13 is a cold "cluster pull" (issue 15): many nodes start the
// pods of a few services at once, whose images share a base layer, through
// one hubmirror and through three replicas behind HAProxy with the
// deployed deploy/haproxy/haproxy.cfg, then pull the same images again
// warm. On one machine the replicas share the cores the single replica
// had, and every request crosses HAProxy: the ratio is what the balancer
// and the split cost, not what three machines would gain.

// clusterSetup is one way of serving the cluster pull.
type clusterSetup struct {
	name     string
	replicas int
	balanced bool // behind HAProxy with haproxy.cfg
}

// clusterSetups are measured back to back in every repetition. The middle
// one names the single replica on all three of haproxy.cfg's server lines:
// HAProxy's own cost, apart from splitting the work.
var clusterSetups = []clusterSetup{
	{name: clusterSingle, replicas: 1},
	{name: clusterProxied, replicas: 1, balanced: true},
	{name: clusterTriple, replicas: haproxytest.Replicas, balanced: true},
}

const (
	clusterSingle  = "1 replica"
	clusterProxied = "1 replica behind HAProxy"
	clusterTriple  = "3 replicas behind HAProxy"
	// clusterUpTimeout bounds HAProxy's checks (rise 2, inter 1s) marking
	// every server up.
	clusterUpTimeout = 20 * time.Second
)

// replicaFlags are the deployed replicas' settings that matter here
// (deploy/k8s/cluster/replicas.yaml): HAProxy is a trusted proxy. The
// drain delay is 0 because draining is not measured and would add its
// 3 s to every stop.
var replicaFlags = []string{"--trusted-proxy", "127.0.0.0/8", "--shutdown-delay", "0s"}

// clusterPull is scenario 13: per repetition, every setup on fresh caches.
func (b *bench) clusterPull() {
	imgs := b.hub.ClusterImages
	if len(imgs) == 0 {
		b.res.problem("scenario 13: fakehub seeded no cluster images (--cluster-images)")
		return
	}
	if _, err := exec.LookPath("haproxy"); err != nil {
		b.res.problem("scenario 13: haproxy not installed (bench/run.sh installs it): %v", err)
		return
	}
	if _, err := os.Stat(b.cfg.haproxyCfg); err != nil {
		b.res.problem("scenario 13: --haproxy-cfg: %v", err)
		return
	}
	b.res.cluster.describe(b.cfg.clusterClients, len(imgs), b.cfg.clusterLayer, b.cfg.haproxyCfg)
	for rep := range b.cfg.repeat {
		for _, s := range clusterSetups {
			if b.ctx.Err() != nil {
				return
			}
			b.clusterRun(s, rep, imgs)
		}
	}
}

// clusterRun is one setup once: fresh replicas, the cold pull, the warm
// pull by the same nodes, then everything stopped and its caches removed.
func (b *bench) clusterRun(s clusterSetup, rep int, imgs []hubinfo.Image) {
	load := loadAverage()
	c, err := b.startCluster(s, rep)
	defer c.stop()
	if err != nil {
		b.res.problem("scenario 13: %s: %v", s.name, err)
		return
	}
	nodes := newNodes(b.cfg.clusterClients)
	defer func() {
		for _, n := range nodes {
			n.close()
		}
	}()
	run, err := b.coldThenWarm(c, nodes, imgs)
	if err != nil {
		b.res.problem("scenario 13: %s: %v", s.name, err)
		return
	}
	run.load = load
	b.res.cluster.add(s.name, run)
	logf("scenario 13: run %d: %-26s cold %.2fs, warm %.0f MB/s, %.2f CPU s/GiB (HAProxy %.2f); upstream %.3f× distinct (worst blob %.3f×), %d manifest GETs; warm upstream requests %d; requests per server line %v; load %s",
		rep+1, s.name, run.cold.wall.Seconds(), run.warmMBps(), run.warmCPUPerGiB(), run.warmLBCPU/gib(run.warm.bytes),
		run.upstreamRatio(), run.worstBlob, run.manifestGets, run.warmUpstream, c.shares(), load)
}

// coldThenWarm measures the cold pull with the hub's counters, then the
// same nodes pulling again, with the CPU the servers spent on it.
func (b *bench) coldThenWarm(c *cluster, nodes []*node, imgs []hubinfo.Image) (clusterRun, error) {
	var run clusterRun
	if err := b.hub.reset(); err != nil {
		return run, err
	}
	var err error
	if run.cold, err = runClusterPull(b.ctx, c.url, nodes, imgs); err != nil {
		return run, fmt.Errorf("cold: %w", err)
	}
	counts, err := b.hub.counts()
	if err != nil {
		return run, err
	}
	run.fromCounts(counts)
	if err := b.hub.reset(); err != nil {
		return run, err
	}
	replicas, lb := c.cpu()
	if run.warm, err = runClusterPull(b.ctx, c.url, nodes, imgs); err != nil {
		return run, fmt.Errorf("warm: %w", err)
	}
	replicasAfter, lbAfter := c.cpu()
	run.warmReplicaCPU, run.warmLBCPU = replicasAfter-replicas, lbAfter-lb
	if counts, err = b.hub.counts(); err != nil {
		return run, err
	}
	run.warmUpstream = counts.ManifestGets + counts.ManifestHeads + counts.BlobGets + counts.BlobHeads + counts.CDNGets
	return run, nil
}

// cluster is one running setup.
type cluster struct {
	url      string
	replicas []*proctest.Proc
	lb       *proctest.Proc // nil when not balanced
	balancer *haproxytest.Balancer
	dirs     []string
}

// shares are the requests HAProxy sent each of its servers so far, in
// haproxy.cfg's order; nil when not balanced.
func (c *cluster) shares() []int64 {
	if c.balancer == nil {
		return nil
	}
	all, err := c.balancer.Servers()
	if err != nil {
		return nil
	}
	var out []int64
	for _, name := range haproxytest.ServerNames() {
		out = append(out, all[name].Sessions)
	}
	return out
}

// cpu is the CPU seconds the replicas and HAProxy have used so far.
func (c *cluster) cpu() (replicas, lb float64) {
	for _, p := range c.replicas {
		s, _ := cpuSeconds(p.Pid())
		replicas += s
	}
	if c.lb != nil {
		lb, _ = cpuSeconds(c.lb.Pid())
	}
	return replicas, lb
}

// startCluster starts the setup's replicas on fresh data dirs and, when
// balanced, HAProxy with haproxy.cfg in front, once it sees every server up.
func (b *bench) startCluster(s clusterSetup, rep int) (*cluster, error) {
	c := &cluster{}
	prefix := fmt.Sprintf("s13-run%d-%s-", rep+1, strings.ReplaceAll(s.name, " ", "-"))
	var addrs []string
	for i := range s.replicas {
		name := fmt.Sprintf("%sreplica%d", prefix, i+1)
		dir := filepath.Join(b.cfg.work, name+"-data")
		c.dirs = append(c.dirs, dir)
		r, err := startHubmirrorAs(b.ps, filepath.Join(b.cfg.binDir, "hubmirror"), name, dir, b.hub.URL,
			slices.Concat(replicaFlags, strings.Fields(b.cfg.hubmirrorFlags))...)
		if r != nil {
			c.replicas = append(c.replicas, r.proc)
		}
		if err != nil {
			return c, err
		}
		c.url = r.url
		addrs = append(addrs, hostOf(r.url))
	}
	if !s.balanced {
		return c, nil
	}
	for len(addrs) < haproxytest.Replicas {
		addrs = append(addrs, addrs[0])
	}
	start := func(name string, env []string, bin string, args ...string) (*proctest.Proc, error) {
		return b.ps.start(prefix+name, env, bin, args...)
	}
	lb, err := haproxytest.Start(start, b.cfg.haproxyCfg, addrs)
	if lb != nil {
		c.lb, c.balancer = lb.Proc, lb
	}
	if err != nil {
		return c, err
	}
	c.url = lb.URL
	return c, lb.WaitStatus(clusterUpTimeout, "UP", haproxytest.ServerNames()...)
}

// stop ends every process of the setup at once and removes its caches, so
// the next setup starts cold and the disk does not fill over the run.
func (c *cluster) stop() {
	procs := c.replicas
	if c.lb != nil {
		procs = append(procs, c.lb)
	}
	var wg sync.WaitGroup
	for _, p := range procs {
		wg.Add(1)
		go func() { defer wg.Done(); stop(p) }()
	}
	wg.Wait()
	for _, d := range c.dirs {
		os.RemoveAll(d)
	}
}
