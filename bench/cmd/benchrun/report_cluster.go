package main

import (
	"fmt"
)

// clusterRows are scenario 10's lines: the cold cluster pull's wall and
// upstream bytes, and the warm aggregate throughput, of three replicas
// behind HAProxy against one replica on the same machine.
func clusterRows(r *results) []row {
	single, cluster := r.cluster[singleName], r.cluster[clusterName]
	if single == nil || cluster == nil {
		return nil
	}
	s := r.setup
	distinct := float64(s.clusterBytes)
	cold := row{id: "10", figure: fmt.Sprintf("cold cluster pull (%d clients, %d images sharing a base), wall s; load %s", s.clusterClients, s.clusterImages, r.clusterLoad),
		hub: num(cluster.cold, true, "%.2f"), reg: none, ref: singleName + " " + num(single.cold, true, "%.2f"),
		hubRatio: ratio(cluster.cold, single.cold, true) + " of 1 replica", regRatio: none, target: "reported (the balancer's cost)", verdict: none}
	su, cu := float64(single.upstreamBytes)/distinct, float64(cluster.upstreamBytes)/distinct
	up := row{id: "10", figure: "cold cluster pull: upstream bytes ÷ the distinct blobs' bytes",
		hub: num(cu, true, "%.2f×"), reg: none, ref: singleName + " " + num(su, true, "%.2f×"),
		hubRatio: none, regRatio: none, target: "1.00× in both"}
	up.verdict = verdict(true, cluster.upstreamBytes == s.clusterBytes && single.upstreamBytes == s.clusterBytes)
	warm := row{id: "10", figure: fmt.Sprintf("warm cluster pull, aggregate MB/s (median of %d; min–max)", len(cluster.warm)),
		hub: spread(median(cluster.warm), cluster.warm, len(cluster.warm) > 0), reg: none,
		ref:      singleName + " " + spread(median(single.warm), single.warm, len(single.warm) > 0),
		hubRatio: ratioOf(runRatio(cluster.warm, single.warm), len(cluster.warm) > 0 && len(single.warm) > 0) + " of 1 replica",
		regRatio: none, target: "reported (the balancer's cost)", verdict: none}
	return []row{cold, up, warm}
}

func clusterNote(s setupNotes) string {
	return fmt.Sprintf("10: fakehub seeds %d images sharing one base layer, each with two layers of its own (%s each). One fresh hubmirror, and three fresh ones behind HAProxy 2.6 running deploy/haproxy/haproxy.cfg itself, all on this machine; %d clients start at once, client i pulling image i mod %d as docker would (manifest by tag, then config and layers one after another). Cold: the first such pull through each setup, the hub's counters reset before it. Warm: %d more rounds, alternating the setups; MB/s = bytes every client received ÷ the round's wall; ratio = median of per-round ratios. Every process shares the same 2 cores, so the cluster's figure is what the extra hop and processes cost, not what three machines would give.",
		s.clusterImages, s.clusterLayer, s.clusterClients, s.clusterImages, s.repeat)
}
