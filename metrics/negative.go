package metrics

import "github.com/prometheus/client_golang/prometheus"

// Label values of hubmirror_negative_cache_total.
const (
	NegativeTag  = "tag"        // a tag missing upstream
	NegativeRepo = "repository" // a repository missing upstream (or not visible)

	NegativeStored = "stored" // upstream said "not found" and it was remembered
	NegativeHit    = "hit"    // answered "not found" without asking upstream
)

var (
	NegativeKinds   = []string{NegativeTag, NegativeRepo}
	NegativeResults = []string{NegativeStored, NegativeHit}
)

func newNegativeCache() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "negative_cache_total",
		Help: "Upstream \"not found\" answers remembered (stored) and requests answered from them without asking upstream (hit), by kind: tag or repository."},
		[]string{"kind", "result"})
}

func (m *Metrics) negativeAtZero() {
	for _, kind := range NegativeKinds {
		for _, result := range NegativeResults {
			m.NegativeCache.WithLabelValues(kind, result)
		}
	}
}
