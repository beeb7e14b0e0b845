package mirror

import (
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

//go:embed status.html
var statusHTML string

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"bytes": humanBytes,
	"pct":   func(f float64) string { return formatFloat(100*f, 1) + "%" },
}).Parse(statusHTML))

// usageReporter is what the cache offers to the status page: the bytes it
// holds and its cap (0: unbounded).
type usageReporter interface {
	Used() int64
	MaxSize() int64
}

// status is what the page shows. Counts come from the same collectors that
// /metrics exports, so the two always agree.
type status struct {
	Now                 time.Time
	CacheUsed, CacheCap int64
	Hits, Misses, Stale float64
	HitRatio            float64
	BytesFromCache      float64
	BytesFromUpstream   float64
	FillsInFlight       float64
	Top                 []RepoPulls
	Upstreams           []upstreamRow
	HasUsage            bool
}

// upstreamRow is one registry on the page. HasRateLimit tells a limit
// that was never reported from one that is spent (0).
type upstreamRow struct {
	Host string
	upstreamStatus
	RateRemaining float64
	HasRateLimit  bool
}

// StatusPage renders a one-page summary for people: what the cache holds,
// what it saves, and whether upstream is healthy.
func StatusPage(m *Mirror, g prometheus.Gatherer) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := m.status(g)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := statusTemplate.Execute(w, st); err != nil {
			m.log.Warn("rendering status page", slog.Any("error", err))
		}
	})
}

func (m *Mirror) status(g prometheus.Gatherer) status {
	sums := gatherSums(g)
	st := status{
		Now:               time.Now().UTC(),
		Hits:              sums.get("hubmirror_cache_lookups_total", "result", "hit"),
		Misses:            sums.get("hubmirror_cache_lookups_total", "result", "miss"),
		Stale:             sums.get("hubmirror_cache_lookups_total", "result", "stale"),
		BytesFromCache:    sums.get("hubmirror_served_bytes_total", "source", "cache"),
		BytesFromUpstream: sums.get("hubmirror_upstream_bytes_total", "", ""),
		FillsInFlight:     sums.get("hubmirror_fills_in_flight", "", ""),
		Top:               m.TopRepositories(10),
		Upstreams:         m.upstreamRows(sums.byLabel("hubmirror_upstream_ratelimit_remaining", "upstream")),
	}
	if total := st.Hits + st.Misses + st.Stale; total > 0 {
		st.HitRatio = (st.Hits + st.Stale) / total
	}
	if u, ok := m.opts.Store.(usageReporter); ok {
		st.CacheUsed, st.CacheCap = u.Used(), u.MaxSize()
		st.HasUsage = true
	}
	return st
}

// upstreamRows lists the registries by name with their last reported
// rate limit.
func (m *Mirror) upstreamRows(remaining map[string]float64) []upstreamRow {
	var rows []upstreamRow
	for host, st := range m.upstreamStatus() {
		left, ok := remaining[host]
		rows = append(rows, upstreamRow{Host: host, upstreamStatus: st, RateRemaining: left, HasRateLimit: ok})
	}
	slices.SortFunc(rows, func(a, b upstreamRow) int { return strings.Compare(a.Host, b.Host) })
	return rows
}
