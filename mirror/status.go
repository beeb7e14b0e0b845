package mirror

import (
	_ "embed"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
)

//go:embed status.html
var statusHTML string

var statusTemplate = template.Must(template.New("status").Funcs(template.FuncMap{
	"bytes":  humanBytes,
	"ibytes": func(n int64) string { return humanBytes(float64(n)) },
	"pct":    func(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" },
}).Parse(statusHTML))

// humanBytes formats a byte count as every other hubmirror output does
// (binary units, as people read disks).
func humanBytes(n float64) string { return humanize.IBytes(uint64(max(n, 0))) }

// usageReporter is what the cache offers to the status page: the bytes it
// holds and its cap (0: unbounded).
type usageReporter interface {
	Used() int64
	MaxSize() int64
}

// status is what the page shows. Counts come from the same collectors that
// /metrics exports, so the two always agree.
type status struct {
	metrics.Snapshot
	Now                 time.Time
	CacheUsed, CacheCap float64
	HitRatio            float64
	Top                 []repoPulls
	Upstreams           []upstreamRow
	HasUsage            bool
	hostedStatus
}

// hostedStatus is the page's hosted part: shown only when hosting.
type hostedStatus struct {
	Hosting     bool
	HostedBytes float64
	Hosted      []cache.HostedUsage
	Uploads     int // sessions open now
}

// hostedUsageReporter is what the status page needs of a store that hosts.
type hostedUsageReporter interface {
	HostedSize() int64
	HostedUsages() ([]cache.HostedUsage, error)
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
func (m *Mirror) StatusPage() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := m.status()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if err := statusTemplate.Execute(w, st); err != nil {
			m.log.Warn("rendering status page", slog.Any("error", err))
		}
	})
}

func (m *Mirror) status() status {
	snap := m.opts.Metrics.Snapshot()
	st := status{
		Snapshot:  snap,
		Now:       time.Now().UTC(),
		Top:       m.topRepositories(10),
		Upstreams: m.upstreamRows(snap.RateRemaining),
	}
	if total := snap.Hits + snap.Misses + snap.Stale; total > 0 {
		st.HitRatio = (snap.Hits + snap.Stale) / total
	}
	if u, ok := m.opts.Store.(usageReporter); ok {
		st.CacheUsed, st.CacheCap = float64(u.Used()), float64(u.MaxSize())
		st.HasUsage = true
	}
	st.hostedStatus = m.hostedStatus()
	st.CacheUsed -= st.HostedBytes // what the cap bounds
	return st
}

func (m *Mirror) hostedStatus() hostedStatus {
	hr, ok := m.opts.Store.(hostedUsageReporter)
	if m.hosted == nil || !ok {
		return hostedStatus{}
	}
	usages, err := hr.HostedUsages()
	if err != nil {
		m.log.Warn("status page: listing hosted repositories", slog.Any("error", err))
	}
	return hostedStatus{Hosting: true, HostedBytes: float64(hr.HostedSize()), Hosted: usages, Uploads: m.uploads.open()}
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
