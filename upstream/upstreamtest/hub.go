package upstreamtest

import (
	"crypto/rand"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Hub is one fake Docker Hub. Its fields are fixed once Start returns.
type Hub struct {
	// URL is the registry's base, "http://127.0.0.1:<port>", the address a
	// mirror is configured with instead of registry-1.docker.io.
	URL string
	// Realm is the token endpoint advertised in challenges. It names
	// "localhost" rather than 127.0.0.1 because auth.docker.io is a different
	// host from the registry, and clients must cope with that.
	Realm string
	// CDNURL is the base of blob redirects, "http://<CDNHost>:<port>".
	CDNURL string

	opts    Options
	secret  []byte // signs CDN URLs, as Hub's CDN checks its signature
	store   store
	tokens  tokens
	users   users
	count   counters
	repos   repoCounts // requests by repository named
	faults  faults
	ranges  ranges // Range headers of CDN GETs, see CDNRanges
	offline atomic.Bool
	latency atomic.Int64 // time.Duration
	// headMode is a HeadMode, see SetHeadMode.
	headMode atomic.Int32
	// retryAfter is the Retry-After of injected 429s, in seconds.
	retryAfter atomic.Int64
	// The far-link knobs, see link.go.
	rtt       atomic.Int64 // time.Duration
	bandwidth atomic.Int64 // per CDN connection, bytes per second
	link      linkPacer
	blobStats blobStats
	// rateRemaining backs the ratelimit-remaining header.
	rateRemaining atomic.Int64
	// paging is how tag lists and referrers are paged (paging.go).
	paging paging

	servers   []*http.Server
	idle      idleDropper
	done      chan struct{} // closed by Close: frees handlers held at a gate
	closeOnce sync.Once
}

// rateLimit is Hub's anonymous pull allowance per six hours.
const rateLimit = 100

// Start runs a Hub outside of a test, for the benchmark binary.
// Callers must Close it.
func Start(opts Options) (*Hub, error) {
	h := &Hub{opts: opts.withDefaults(), done: make(chan struct{})}
	h.secret = make([]byte, 32)
	rand.Read(h.secret)
	h.store.init()
	h.tokens.init()
	h.users.init(h.opts.Users)
	h.faults.init()
	h.count.init()
	h.rateRemaining.Store(rateLimit)
	h.rtt.Store(int64(h.opts.RTT))
	h.bandwidth.Store(h.opts.Bandwidth)
	h.link.setRate(h.opts.LinkBandwidth)
	if err := h.listen(); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// New is Start for tests: it fails the test on error and closes the Hub when
// the test ends.
func New(tb testing.TB, opts Options) *Hub {
	tb.Helper()
	h, err := Start(opts)
	if err != nil {
		tb.Fatalf("upstreamtest: %v", err)
	}
	tb.Cleanup(h.Close)
	return h
}

// Close stops all three listeners at once, aborting requests in flight
// (including those held at a Gate), so a test never waits on a stuck client.
func (h *Hub) Close() {
	h.closeOnce.Do(func() {
		close(h.done)
		for _, s := range h.servers {
			s.Close()
		}
	})
}

// Host is URL without its scheme, the form image references use
// ("127.0.0.1:port/library/alpine:latest").
func (h *Hub) Host() string {
	return strings.TrimPrefix(h.URL, "http://")
}
