package metrics

import (
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// series remembers the children of the per-request vectors, so a request
// costs one map load instead of a label hash, lookup and validation per
// vector (and strconv of the status code): together they were ~6% of a warm
// manifest hit's CPU. The label sets are small and fixed (routes, methods,
// codes), but methods come from clients, so the memo stops growing at
// maxSeries and the rest are looked up each time.
type series struct {
	m sync.Map // requestKey, lookupKey or servedKey → child
	n atomic.Int32
}

const maxSeries = 1024

type requestKey struct {
	route, method string
	code          int
}

type requestChildren struct {
	count prometheus.Counter
	took  prometheus.Observer
}

type lookupKey struct{ kind, result string }

type servedKey struct{ source string }

// Request returns the counter and duration observer of one answered request.
func (m *Metrics) Request(route, method string, code int) (prometheus.Counter, prometheus.Observer) {
	c := loadOr(&m.series, requestKey{route, method, code}, func() requestChildren {
		return requestChildren{m.HTTPRequests.WithLabelValues(route, method, strconv.Itoa(code)), m.HTTPDuration.WithLabelValues(route)}
	})
	return c.count, c.took
}

// Lookup returns the cache-lookup counter of kind and result.
func (m *Metrics) Lookup(kind, result string) prometheus.Counter {
	return loadOr(&m.series, lookupKey{kind, result}, func() prometheus.Counter { return m.CacheLookups.WithLabelValues(kind, result) })
}

// Served returns the served-bytes counter of source.
func (m *Metrics) Served(source string) prometheus.Counter {
	return loadOr(&m.series, servedKey{source}, func() prometheus.Counter { return m.ServedBytes.WithLabelValues(source) })
}

func loadOr[K comparable, V any](s *series, key K, make func() V) V {
	if v, ok := s.m.Load(key); ok {
		return v.(V)
	}
	v := make()
	if s.n.Add(1) <= maxSeries {
		s.m.Store(key, v)
	}
	return v
}
