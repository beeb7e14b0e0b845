package metrics

import "github.com/prometheus/client_golang/prometheus"

// Label values of hubmirror_upstream_token_failures_total{reason}.
const (
	TokenRefused   = "refused"   // the realm said 401/403 to the mirror's own credentials
	TokenFailing   = "failing"   // the realm answered 5xx or 429, or could not be reached
	TokenMalformed = "malformed" // the realm answered 200 with no usable token
)

// TokenFailureReasons is the fixed set, started at zero for every upstream.
var TokenFailureReasons = []string{TokenRefused, TokenFailing, TokenMalformed}

func newTokenFailures() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Name: "upstream_token_failures_total",
		Help: "Token exchanges that gave the mirror no token, by registry and reason: refused (the mirror's credentials), failing (5xx, 429, unreachable), malformed (no token in the answer)."},
		[]string{"upstream", "reason"})
}

// TokenFailure counts one token exchange that gave no token.
func (o UpstreamObserver) TokenFailure(reason string) {
	o.m.UpstreamTokenFailures.WithLabelValues(o.host, reason).Inc()
}

func (m *Metrics) tokenFailuresAtZero(host string) {
	for _, reason := range TokenFailureReasons {
		m.UpstreamTokenFailures.WithLabelValues(host, reason)
	}
}
