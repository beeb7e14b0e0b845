package metrics_test

import (
	"slices"
	"testing"

	"github.com/hubmirror/hubmirror/metrics"
)

// Names is what the dashboard test trusts, so it must list hubmirror's own
// families (Vecs without series included) and the runtime's, and nothing
// that is not a metric name.
func TestNamesListsEveryRegisteredFamily(t *testing.T) {
	names := metrics.Names()
	for _, want := range []string{
		"hubmirror_http_requests_total",
		"hubmirror_fill_first_byte_seconds",
		"hubmirror_upstream_ratelimit_remaining",
		"hubmirror_negative_cache_total",
		"hubmirror_cache_evictions_total",
		"go_goroutines",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("Names() lacks %s; got %v", want, names)
		}
	}
	for _, n := range names {
		if n == "" || !isMetricName(n) {
			t.Errorf("Names() holds %q, not a metric name", n)
		}
	}
}

func isMetricName(s string) bool {
	for i, r := range s {
		ok := r == '_' || r == ':' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return true
}
