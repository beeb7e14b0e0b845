package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// Snapshot is what the status page shows, read from the very collectors
// a scrape reads, so the page and /metrics always agree.
type Snapshot struct {
	Hits, Misses, Stale float64 // cache lookups, manifests and blobs together
	BytesFromCache      float64
	BytesFromUpstream   float64 // every upstream together
	FillsInFlight       float64
	// RateRemaining is each upstream's last reported rate limit. A host
	// that never reported one is absent, which is not the same as a limit
	// that is spent (0).
	RateRemaining map[string]float64
}

// Snapshot reads the current values.
func (m *Metrics) Snapshot() Snapshot {
	s := Snapshot{
		FillsInFlight: value(m.FillsInFlight),
		RateRemaining: map[string]float64{},
	}
	eachSeries(m.CacheLookups, func(labels map[string]string, v float64) {
		switch labels["result"] {
		case ResultHit:
			s.Hits += v
		case ResultMiss:
			s.Misses += v
		case ResultStale:
			s.Stale += v
		}
	})
	eachSeries(m.ServedBytes, func(labels map[string]string, v float64) {
		if labels["source"] == SourceCache {
			s.BytesFromCache += v
		}
	})
	eachSeries(m.UpstreamBytes, func(_ map[string]string, v float64) { s.BytesFromUpstream += v })
	eachSeries(m.RateRemaining, func(labels map[string]string, v float64) { s.RateRemaining[labels["upstream"]] = v })
	return s
}

// eachSeries calls f with the labels and value of every series c
// currently holds. Collecting, rather than asking a Vec for its label
// values, never creates a series, so a rate limit nobody reported stays
// absent.
func eachSeries(c prometheus.Collector, f func(labels map[string]string, v float64)) {
	ch := make(chan prometheus.Metric)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	for series := range ch {
		var d dto.Metric
		if series.Write(&d) != nil {
			continue
		}
		labels := make(map[string]string, len(d.GetLabel()))
		for _, l := range d.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		f(labels, d.GetCounter().GetValue()+d.GetGauge().GetValue())
	}
}

// value reads a single counter or gauge.
func value(c prometheus.Collector) float64 {
	var sum float64
	eachSeries(c, func(_ map[string]string, v float64) { sum += v })
	return sum
}
