package metrics

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// CacheSource is what the cache reports about itself. The cache keeps
// these figures in memory already, so a scrape reads them rather than
// anybody counting twice.
type CacheSource interface {
	Used() int64
	MaxSize() int64
	Entries() int64
	Evictions() int64
}

// cacheCollector exports the cache's own figures at scrape time. It is
// registered with the rest in New, so its names are known before a cache
// is attached; it reports nothing until WatchCache.
type cacheCollector struct {
	src                        atomic.Pointer[CacheSource]
	size, limit, entries, evic *prometheus.Desc
	hosted, hostedRepos        *prometheus.Desc
}

// HostedSource is what a cache that keeps hosted repositories adds: the
// bytes they hold (part of Used, outside MaxSize) and how many there are.
type HostedSource interface {
	HostedSize() int64
	HostedRepositories() int64
}

func newCacheCollector() *cacheCollector {
	return &cacheCollector{
		size:    prometheus.NewDesc(ns+"_cache_size_bytes", "Bytes of verified content in the cache.", nil, nil),
		limit:   prometheus.NewDesc(ns+"_cache_max_size_bytes", "The cache's size cap (0: unbounded).", nil, nil),
		entries: prometheus.NewDesc(ns+"_cache_entries", "Blobs and manifests in the cache.", nil, nil),
		evic:    prometheus.NewDesc(ns+"_cache_evictions_total", "Blobs and manifests removed from the cache to stay under its size cap.", nil, nil),
		hosted: prometheus.NewDesc(ns+"_hosted_size_bytes",
			"Bytes hosted repositories hold: part of hubmirror_cache_size_bytes, never evicted, not counted against the cap.", nil, nil),
		hostedRepos: prometheus.NewDesc(ns+"_hosted_repositories", "Hosted repositories.", nil, nil),
	}
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.size
	ch <- c.limit
	ch <- c.entries
	ch <- c.evic
	ch <- c.hosted
	ch <- c.hostedRepos
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	p := c.src.Load()
	if p == nil {
		return
	}
	src := *p
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, float64(src.Used()))
	ch <- prometheus.MustNewConstMetric(c.limit, prometheus.GaugeValue, float64(src.MaxSize()))
	ch <- prometheus.MustNewConstMetric(c.entries, prometheus.GaugeValue, float64(src.Entries()))
	ch <- prometheus.MustNewConstMetric(c.evic, prometheus.CounterValue, float64(src.Evictions()))
	if h, ok := src.(HostedSource); ok {
		ch <- prometheus.MustNewConstMetric(c.hosted, prometheus.GaugeValue, float64(h.HostedSize()))
		ch <- prometheus.MustNewConstMetric(c.hostedRepos, prometheus.GaugeValue, float64(h.HostedRepositories()))
	}
}

// WatchCache makes the cache's figures part of every scrape.
func (m *Metrics) WatchCache(src CacheSource) { m.cache.src.Store(&src) }
