package mirror_test

import (
	"context"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// The counters an operator reads off /metrics match what clients did.
func TestMetricsCountHitsMissesAndBytes(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	met := metrics.Discard()
	clk := newClock()
	m := startMirror(t, hub, setup{metrics: met, clock: clk, ttl: ttl})
	layer := s.Blobs[len(s.Blobs)-1]
	blobURL := m + "/v2/library/alpine/blobs/" + layer.String()

	manifestDigest(t, m+"/v2/library/alpine/manifests/latest") // miss
	manifestDigest(t, m+"/v2/library/alpine/manifests/latest") // hit
	_, body := get(t, "GET", blobURL)                          // miss, through a fill
	get(t, "GET", blobURL)                                     // hit
	size := float64(len(body))

	clk.advance(ttl + time.Second)
	hub.SetOffline(true)
	manifestDigest(t, m+"/v2/library/alpine/manifests/latest") // stale

	want := map[string]float64{
		"manifest hit": 1, "manifest miss": 1, "manifest stale": 1, "blob hit": 1, "blob miss": 1,
	}
	for key, n := range want {
		var kind, result string
		splitPair(key, &kind, &result)
		if got := testutil.ToFloat64(met.CacheLookups.WithLabelValues(kind, result)); got != n {
			t.Errorf("cache_lookups_total{kind=%s,result=%s} = %v, want %v", kind, result, got, n)
		}
	}
	if got := testutil.ToFloat64(met.ServedBytes.WithLabelValues("fill")); got != size {
		t.Errorf("served_bytes_total{source=fill} = %v, want %v", got, size)
	}
	if got := testutil.ToFloat64(met.ServedBytes.WithLabelValues("cache")); got != size {
		t.Errorf("served_bytes_total{source=cache} = %v, want %v", got, size)
	}
	if got := testutil.ToFloat64(met.UpstreamBytes.WithLabelValues("docker.io")); got != size {
		t.Errorf("upstream_bytes_total = %v, want the blob's %v", got, size)
	}
	if got := testutil.ToFloat64(met.UpstreamTokens.WithLabelValues("docker.io")); got != 1 {
		t.Errorf("upstream_token_requests_total = %v, want 1", got)
	}
	if got := testutil.ToFloat64(met.RateRemaining.WithLabelValues("docker.io")); got <= 0 {
		t.Errorf("upstream_ratelimit_remaining = %v, want Hub's figure", got)
	}
	for i := 0; i < 500 && testutil.ToFloat64(met.FillsInFlight) != 0; i++ {
		time.Sleep(10 * time.Millisecond) // a fill files its blob after the client has it
	}
	if got := testutil.ToFloat64(met.FillsInFlight); got != 0 {
		t.Errorf("fills_in_flight = %v after all fills ended", got)
	}
}

// N clients of one uncached blob: one fill, N-1 followers.
func TestMetricsCountFollowers(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", 4<<20)
	met := metrics.Discard()
	m := startMirror(t, hub, setup{metrics: met})
	gate := hub.Hold(d, 1<<20)
	pulls := make([]*pull, 5)
	for i := range pulls {
		pulls[i] = startPull(context.Background(), m+"/v2/library/big/blobs/"+d.String())
	}
	for _, p := range pulls {
		waitFor(t, "first byte", p.firstByte)
	}
	if got := testutil.ToFloat64(met.FillsInFlight); got != 1 {
		t.Errorf("fills_in_flight = %v during the download, want 1", got)
	}
	gate.Release()
	for _, p := range pulls {
		p.result(t)
	}
	if got := testutil.ToFloat64(met.FillFollowers); got != 4 {
		t.Errorf("fill_followers_total = %v, want 4", got)
	}
	var h dto.Metric
	met.FillFirstByte.Write(&h)
	if got := h.GetHistogram().GetSampleCount(); got != 1 {
		t.Errorf("fill_first_byte_seconds observed %d times, want once for one fill", got)
	}
}

func splitPair(s string, a, b *string) {
	for i := range s {
		if s[i] == ' ' {
			*a, *b = s[:i], s[i+1:]
			return
		}
	}
}
