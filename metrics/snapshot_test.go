package metrics_test

import (
	"reflect"
	"testing"

	"github.com/hubmirror/hubmirror/metrics"
)

// The snapshot sums lookups of every kind by result, counts only cache
// bytes as saved, adds every upstream's bytes, and tells a rate limit
// that is spent from one never reported.
func TestSnapshotReadsTheCollectors(t *testing.T) {
	m := metrics.Discard()
	hub, ghcr := m.Upstream("docker.io"), m.Upstream("ghcr.io")
	m.Upstream("quay.io")
	m.CacheLookups.WithLabelValues(metrics.KindManifest, metrics.ResultHit).Add(3)
	m.CacheLookups.WithLabelValues(metrics.KindBlob, metrics.ResultHit).Add(4)
	m.CacheLookups.WithLabelValues(metrics.KindBlob, metrics.ResultMiss).Add(2)
	m.CacheLookups.WithLabelValues(metrics.KindManifest, metrics.ResultStale).Inc()
	m.ServedBytes.WithLabelValues(metrics.SourceCache).Add(1000)
	m.ServedBytes.WithLabelValues(metrics.SourceFill).Add(500)
	hub.Bytes(300)
	ghcr.Bytes(200)
	hub.RateLimit(0)
	ghcr.RateLimit(97)
	m.FillsInFlight.Add(2)

	want := metrics.Snapshot{
		Hits: 7, Misses: 2, Stale: 1,
		BytesFromCache: 1000, BytesFromUpstream: 500, FillsInFlight: 2,
		RateRemaining: map[string]float64{"docker.io": 0, "ghcr.io": 97},
	}
	if got := m.Snapshot(); !reflect.DeepEqual(got, want) {
		t.Errorf("Snapshot() = %+v, want %+v", got, want)
	}
}
