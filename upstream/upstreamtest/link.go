package upstreamtest

import (
	"context"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// A far link, as the knobs below model it. A client far from Docker Hub
// pays a round trip before every response (request out, headers back) and
// one more for the TCP handshake of each new connection, so a client that
// opens a connection per request pays double; each connection's throughput
// is capped by window ÷ RTT (Bandwidth), and all connections share the
// link's capacity (LinkBandwidth). TLS would add a round trip per new
// connection on the real Hub; this plain-HTTP fake does not model it.

// SetRTT sets the round-trip time of every listener: each request waits d
// before its handler runs, and the first request on a new connection waits
// another d for the handshake. It adds to SetLatency; 0 removes it.
func (h *Hub) SetRTT(d time.Duration) { h.rtt.Store(int64(d)) }

// SetBandwidth changes the per-connection cap on CDN bodies (see
// Options.Bandwidth) for responses that start afterwards.
func (h *Hub) SetBandwidth(bytesPerSecond int64) { h.bandwidth.Store(bytesPerSecond) }

// SetLinkBandwidth changes the cap shared by all CDN bodies at once (see
// Options.LinkBandwidth), from the next chunk on.
func (h *Hub) SetLinkBandwidth(bytesPerSecond int64) { h.link.setRate(bytesPerSecond) }

// connInfo is what the server remembers about one accepted connection.
type connInfo struct{ served atomic.Bool }

type connKey struct{}

// trackConns counts each accepted connection on n and hands its requests a
// connInfo, so the delay wrapper can charge the handshake once.
func trackConns(n *atomic.Int64) func(context.Context, net.Conn) context.Context {
	return func(ctx context.Context, _ net.Conn) context.Context {
		n.Add(1)
		return context.WithValue(ctx, connKey{}, &connInfo{})
	}
}

// requestDelay is the wait before r's handler runs: the fixed latency, the
// RTT, and the handshake RTT if r is its connection's first request.
func (h *Hub) requestDelay(r *http.Request) time.Duration {
	d := time.Duration(h.latency.Load())
	rtt := time.Duration(h.rtt.Load())
	if rtt <= 0 {
		return d
	}
	trips := int64(1)
	if ci, ok := r.Context().Value(connKey{}).(*connInfo); ok && !ci.served.Swap(true) {
		trips++
	}
	h.count.roundTrips.Add(trips)
	return d + time.Duration(trips)*rtt
}

// linkPacer shares one capacity among every CDN body: each chunk reserves
// its transmission time on a virtual clock, so n connections at once get
// rate/n each, as on a saturated link.
type linkPacer struct {
	mu   sync.Mutex
	rate int64     // bytes per second, 0 = unlimited
	free time.Time // when the link has sent everything reserved so far
}

func (l *linkPacer) setRate(r int64) {
	l.mu.Lock()
	l.rate = r
	l.mu.Unlock()
}

func (l *linkPacer) limited() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rate > 0
}

// reserve books n bytes and returns when they may start: once everything
// reserved before them has left.
func (l *linkPacer) reserve(n int) time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if l.rate <= 0 {
		return now
	}
	start := l.free
	if start.Before(now) {
		start = now
	}
	l.free = start.Add(time.Duration(float64(n) / float64(l.rate) * float64(time.Second)))
	return start
}
