package metrics

import "strconv"

// UpstreamObserver counts one upstream registry's traffic. Its methods
// match what the upstream client reports, without this package importing it.
type UpstreamObserver struct {
	m    *Metrics
	host string
}

// Upstream returns the observer for the registry clients call host, and
// starts that host's byte and token counts at zero so they are exported
// before its first download. Requests are not: their code label has no
// fixed set, and the rate limit's absence means "never reported".
func (m *Metrics) Upstream(host string) UpstreamObserver {
	m.UpstreamBytes.WithLabelValues(host)
	m.UpstreamTokens.WithLabelValues(host)
	m.tokenFailuresAtZero(host)
	return UpstreamObserver{m, host}
}

// Request counts one request of kind answered with code (0: no answer).
func (o UpstreamObserver) Request(kind string, code int) {
	o.m.UpstreamRequests.WithLabelValues(o.host, kind, strconv.Itoa(code)).Inc()
}

// Token counts one token request.
func (o UpstreamObserver) Token() { o.m.UpstreamTokens.WithLabelValues(o.host).Inc() }

// Bytes counts blob bytes received.
func (o UpstreamObserver) Bytes(n int) { o.m.UpstreamBytes.WithLabelValues(o.host).Add(float64(n)) }

// RateLimit records the pulls the registry says are left.
func (o UpstreamObserver) RateLimit(remaining int64) {
	o.m.RateRemaining.WithLabelValues(o.host).Set(float64(remaining))
}
