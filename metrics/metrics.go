package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

const ns = "hubmirror"

// Metrics is every collector hubmirror exports. Label values come from
// fixed sets (routes, methods, status codes, configured upstream hosts,
// cache results): never a repository, tag or digest, which would grow
// without bound.
type Metrics struct {
	HTTPRequests     *prometheus.CounterVec   // route, method, code
	HTTPDuration     *prometheus.HistogramVec // route
	CacheLookups     *prometheus.CounterVec   // kind (LookupKinds), result (LookupResults)
	ServedBytes      *prometheus.CounterVec   // source (ServedSources)
	FillsInFlight    prometheus.Gauge
	FillFollowers    prometheus.Counter
	FillFirstByte    prometheus.Histogram
	FillErrors       *prometheus.CounterVec // reason (FillErrorReasons)
	UpstreamRequests *prometheus.CounterVec // upstream, kind, code
	UpstreamBytes    *prometheus.CounterVec // upstream
	UpstreamTokens   *prometheus.CounterVec // upstream
	RateRemaining    *prometheus.GaugeVec   // upstream
	NegativeCache    *prometheus.CounterVec // kind (NegativeKinds), result (NegativeResults)
	Uploads          *prometheus.CounterVec // event (UploadEvents)
	UploadBytes      prometheus.Counter

	cache  *cacheCollector // size, cap, entries, evictions, hosted: see WatchCache
	series series          // the per-request children, remembered: see series.go

	UpstreamTokenFailures *prometheus.CounterVec // upstream, reason (TokenFailureReasons)
}

// New builds the collectors and registers them, with the Go runtime and
// process collectors, on reg.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		HTTPRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "http_requests_total",
			Help: "Registry API requests answered, by route, method and status code."}, []string{"route", "method", "code"}),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: ns, Name: "http_request_duration_seconds",
			Help: "Time to answer a registry API request, body included.", Buckets: durationBuckets}, []string{"route"}),
		CacheLookups: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "cache_lookups_total",
			Help: "Manifest and blob requests by cache outcome: hit, miss (fetched upstream) or stale (served while upstream failed)."}, []string{"kind", "result"}),
		ServedBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "served_bytes_total",
			Help: "Blob bytes sent to clients, from the cache or from a download in progress."}, []string{"source"}),
		FillsInFlight: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: ns, Name: "fills_in_flight",
			Help: "Upstream blob downloads running or queued."}),
		FillFollowers: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "fill_followers_total",
			Help: "Clients that joined a download another client had started, instead of fetching again."}),
		FillFirstByte: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Name: "fill_first_byte_seconds",
			Help: "Time from a cache miss to the first blob byte being available.", Buckets: durationBuckets}),
		FillErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "fill_errors_total",
			Help: "Blob downloads that failed, by reason: upstream (unreachable or refused), corrupt (digest or size mismatch), local (disk), no_space (data dir full)."}, []string{"reason"}),
		UpstreamRequests: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_requests_total",
			Help: "Requests sent to upstream registries, by registry, kind and status code (0: no answer)."}, []string{"upstream", "kind", "code"}),
		UpstreamBytes: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_bytes_total",
			Help: "Blob bytes received from upstream registries."}, []string{"upstream"}),
		UpstreamTokens: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_token_requests_total",
			Help: "Token requests sent to upstream token realms."}, []string{"upstream"}),
		RateRemaining: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: ns, Name: "upstream_ratelimit_remaining",
			Help: "Pulls left in the upstream's rate-limit window, as it last reported (Docker Hub's ratelimit-remaining)."}, []string{"upstream"}),
		NegativeCache: newNegativeCache(),
		Uploads: prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "uploads_total",
			Help: "Blob uploads to hosted repositories, by event: started, completed (verified and stored), failed."}, []string{"event"}),
		UploadBytes: prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Name: "upload_received_bytes_total",
			Help: "Blob bytes received from clients pushing to hosted repositories."}),
		cache: newCacheCollector(),
	}
	reg.MustRegister(m.HTTPRequests, m.HTTPDuration, m.CacheLookups, m.ServedBytes, m.FillsInFlight,
		m.FillFollowers, m.FillFirstByte, m.FillErrors, m.UpstreamRequests, m.UpstreamBytes,
		m.UpstreamTokens, m.RateRemaining, m.NegativeCache, m.Uploads, m.UploadBytes, m.cache,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.UpstreamTokenFailures = newTokenFailures()
	reg.MustRegister(m.UpstreamTokenFailures)
	m.startAtZero()
	return m
}

// durationBuckets span a warm manifest hit (sub-millisecond) to a cold
// multi-GiB layer (minutes).
var durationBuckets = []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}

// Discard returns collectors registered nowhere, for code run without a
// metrics endpoint (tests, the cache commands).
func Discard() *Metrics { return New(prometheus.NewRegistry()) }
