package main

import (
	"testing"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// The upstream row passes only when every setup's cold pull cost exactly
// the distinct blobs' bytes: a blob fetched twice by two replicas is a miss
// even if the total were hidden among larger blobs.
func TestClusterUpstreamRowWantsEachBlobOnce(t *testing.T) {
	distinct := map[string]int64{"sha256:a": 100, "sha256:b": 50}
	run := func(sent map[string]int64) clusterRun {
		r := clusterRun{cold: pullRound{distinct: distinct}}
		c := hubinfo.Counts{BlobStats: map[string]hubinfo.BlobStats{}}
		for d, n := range sent {
			c.BlobStats[d] = hubinfo.BlobStats{Bytes: n}
		}
		r.fromCounts(c)
		return r
	}
	once := map[string]int64{"sha256:a": 100, "sha256:b": 50}
	twice := map[string]int64{"sha256:a": 100, "sha256:b": 100}
	for _, tc := range []struct {
		name   string
		triple map[string]int64
		want   string
	}{
		{"each once", once, "pass"},
		{"one blob twice", twice, "**miss**"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var c clusterResults
			c.add(clusterSingle, run(once))
			c.add(clusterProxied, run(once))
			c.add(clusterTriple, run(tc.triple))
			if got := c.upstreamRow().verdict; got != tc.want {
				t.Errorf("verdict %q, want %q (%+v)", got, tc.want, c.upstreamRow())
			}
		})
	}
}
