package metrics

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The remembered children are the vectors' own series: what a request
// counts through them is what /metrics shows, past the memo's bound too.
func TestRememberedSeriesCountIntoTheVectors(t *testing.T) {
	m := New(prometheus.NewRegistry())
	for range 3 {
		c, o := m.Request("manifest", "GET", 200)
		c.Inc()
		o.Observe(0.001)
	}
	if got := testutil.ToFloat64(m.HTTPRequests.WithLabelValues("manifest", "GET", "200")); got != 3 {
		t.Fatalf("http_requests_total{manifest,GET,200} = %v, want 3", got)
	}
	if got := testutil.CollectAndCount(m.HTTPDuration); got != 1 {
		t.Fatalf("%d duration series, want 1", got)
	}
	m.Lookup(KindManifest, ResultHit).Inc()
	m.Served(SourceCache).Add(10)
	if testutil.ToFloat64(m.CacheLookups.WithLabelValues(KindManifest, ResultHit)) != 1 || testutil.ToFloat64(m.ServedBytes.WithLabelValues(SourceCache)) != 10 {
		t.Fatal("Lookup or Served did not count into its vector")
	}
	for i := range maxSeries + 10 { // methods come from clients: the memo stops, the counts do not
		c, _ := m.Request("unknown", fmt.Sprintf("M%d", i), 405)
		c.Inc()
		c, _ = m.Request("unknown", fmt.Sprintf("M%d", i), 405)
		c.Inc()
	}
	if got := testutil.ToFloat64(m.HTTPRequests.WithLabelValues("unknown", fmt.Sprintf("M%d", maxSeries+5), "405")); got != 2 {
		t.Fatalf("a series past the memo's bound counted %v, want 2", got)
	}
}
