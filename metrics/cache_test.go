package metrics

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

type fakeCache struct{ used, max, entries, evicted int64 }

func (f fakeCache) Used() int64      { return f.used }
func (f fakeCache) MaxSize() int64   { return f.max }
func (f fakeCache) Entries() int64   { return f.entries }
func (f fakeCache) Evictions() int64 { return f.evicted }

// The cache's figures appear in a scrape once a cache is attached, and
// not before (a half-started process must not report an empty cache).
func TestCacheFiguresAreScraped(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := New(reg)
	if n, _ := testutil.GatherAndCount(reg, "hubmirror_cache_size_bytes"); n != 0 {
		t.Fatalf("cache size reported before a cache was attached")
	}
	m.WatchCache(fakeCache{used: 1 << 30, max: 50 << 30, entries: 42, evicted: 7})
	want := `
# HELP hubmirror_cache_entries Blobs and manifests in the cache.
# TYPE hubmirror_cache_entries gauge
hubmirror_cache_entries 42
# HELP hubmirror_cache_evictions_total Blobs and manifests removed from the cache to stay under its size cap.
# TYPE hubmirror_cache_evictions_total counter
hubmirror_cache_evictions_total 7
# HELP hubmirror_cache_max_size_bytes The cache's size cap (0: unbounded).
# TYPE hubmirror_cache_max_size_bytes gauge
hubmirror_cache_max_size_bytes 5.36870912e+10
# HELP hubmirror_cache_size_bytes Bytes of verified content in the cache.
# TYPE hubmirror_cache_size_bytes gauge
hubmirror_cache_size_bytes 1.073741824e+09
`
	err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"hubmirror_cache_entries", "hubmirror_cache_evictions_total", "hubmirror_cache_max_size_bytes", "hubmirror_cache_size_bytes")
	if err != nil {
		t.Error(err)
	}
}
