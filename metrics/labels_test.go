package metrics_test

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubmirror/hubmirror/metrics"
)

// A fresh mirror exports every fixed-set series at zero, so a dashboard
// panel on hubmirror_fill_errors_total has data before the first failure.
func TestFreshRegistryExportsZeroSeries(t *testing.T) {
	reg := prometheus.NewRegistry()
	metrics.New(reg).Upstream("docker.io")
	want := `
# HELP hubmirror_cache_lookups_total Manifest and blob requests by cache outcome: hit, miss (fetched upstream) or stale (served while upstream failed).
# TYPE hubmirror_cache_lookups_total counter
hubmirror_cache_lookups_total{kind="blob",result="hit"} 0
hubmirror_cache_lookups_total{kind="blob",result="miss"} 0
hubmirror_cache_lookups_total{kind="blob",result="stale"} 0
hubmirror_cache_lookups_total{kind="manifest",result="hit"} 0
hubmirror_cache_lookups_total{kind="manifest",result="miss"} 0
hubmirror_cache_lookups_total{kind="manifest",result="stale"} 0
# HELP hubmirror_fill_errors_total Blob downloads that failed, by reason: upstream (unreachable or refused), corrupt (digest or size mismatch), local (disk), no_space (data dir full).
# TYPE hubmirror_fill_errors_total counter
hubmirror_fill_errors_total{reason="corrupt"} 0
hubmirror_fill_errors_total{reason="local"} 0
hubmirror_fill_errors_total{reason="no_space"} 0
hubmirror_fill_errors_total{reason="upstream"} 0
# HELP hubmirror_served_bytes_total Blob bytes sent to clients, from the cache or from a download in progress.
# TYPE hubmirror_served_bytes_total counter
hubmirror_served_bytes_total{source="cache"} 0
hubmirror_served_bytes_total{source="fill"} 0
# HELP hubmirror_upstream_bytes_total Blob bytes received from upstream registries.
# TYPE hubmirror_upstream_bytes_total counter
hubmirror_upstream_bytes_total{upstream="docker.io"} 0
# HELP hubmirror_upstream_token_requests_total Token requests sent to upstream token realms.
# TYPE hubmirror_upstream_token_requests_total counter
hubmirror_upstream_token_requests_total{upstream="docker.io"} 0
# HELP hubmirror_upstream_token_failures_total Token exchanges that gave the mirror no token, by registry and reason: refused (the mirror's credentials), failing (5xx, 429, unreachable), malformed (no token in the answer).
# TYPE hubmirror_upstream_token_failures_total counter
hubmirror_upstream_token_failures_total{reason="failing",upstream="docker.io"} 0
hubmirror_upstream_token_failures_total{reason="malformed",upstream="docker.io"} 0
hubmirror_upstream_token_failures_total{reason="refused",upstream="docker.io"} 0
`
	err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"hubmirror_cache_lookups_total", "hubmirror_fill_errors_total", "hubmirror_served_bytes_total",
		"hubmirror_upstream_bytes_total", "hubmirror_upstream_token_requests_total", "hubmirror_upstream_token_failures_total")
	if err != nil {
		t.Error(err)
	}
	// A rate limit nobody reported must stay absent: 0 would read "spent".
	if n, _ := testutil.GatherAndCount(reg, "hubmirror_upstream_ratelimit_remaining"); n != 0 {
		t.Errorf("%d rate-limit series before any upstream reported one", n)
	}
}
