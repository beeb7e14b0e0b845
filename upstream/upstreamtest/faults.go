package upstreamtest

import (
	"net/http"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Endpoint names a class of upstream request, for FailNext.
type Endpoint int

// The endpoints a mirror talks to.
const (
	EndpointPing      Endpoint = iota // GET /v2/
	EndpointToken                     // the token service
	EndpointManifest                  // GET/HEAD /v2/<repo>/manifests/<ref>
	EndpointBlob                      // GET/HEAD /v2/<repo>/blobs/<digest> on the registry
	EndpointCDN                       // any request to the CDN
	EndpointTags                      // GET /v2/<repo>/tags/list
	EndpointReferrers                 // GET /v2/<repo>/referrers/<digest>
)

// faults holds the pending, one-shot misbehaviours tests have armed.
type faults struct {
	mu      sync.Mutex
	fail    map[Endpoint][]int
	holds   map[string][]*Gate // by digest hex
	resets  map[string][]int64
	corrupt map[string]int
	fired   firedCounts
}

func (f *faults) init() {
	f.fail = map[Endpoint][]int{}
	f.holds = map[string][]*Gate{}
	f.resets = map[string][]int64{}
	f.corrupt = map[string]int{}
}

// FailNext makes the next n requests of kind answer status with an OCI
// error body (429 also carries Retry-After, see SetRetryAfter), to exercise retry and
// stale-serving paths. Repository endpoints fail only after authorization
// passes, so the failure is spent on a request that would have succeeded.
func (h *Hub) FailNext(kind Endpoint, n int, status int) {
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	for range n {
		h.faults.fail[kind] = append(h.faults.fail[kind], status)
	}
}

// ResetAfter makes the next CDN GET of d drop the connection after k body
// bytes, the way a flaky CDN edge does mid-layer.
func (h *Hub) ResetAfter(d v1.Hash, k int64) {
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	h.faults.resets[d.Hex] = append(h.faults.resets[d.Hex], k)
}

// CorruptNext makes the next n CDN GETs of d send bytes of the right length
// with one byte flipped, which only digest verification can catch.
func (h *Hub) CorruptNext(d v1.Hash, n int) {
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	h.faults.corrupt[d.Hex] += n
}

// SetOffline makes every listener close each connection without answering,
// as when Hub is unreachable, until SetOffline(false).
func (h *Hub) SetOffline(off bool) { h.offline.Store(off) }

// SetLatency delays every response of every listener by d before its
// headers; 0 removes the delay.
func (h *Hub) SetLatency(d time.Duration) { h.latency.Store(int64(d)) }

// injectFault answers the request with an armed failure, if any, and
// reports whether it did.
func (h *Hub) injectFault(w http.ResponseWriter, kind Endpoint) bool {
	status, ok := h.faults.nextFailure(kind)
	if !ok {
		return false
	}
	h.faults.fired.failures.Add(1)
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", h.retryAfterHeader())
	}
	h.writeError(w, faultError(status))
	return true
}

func (f *faults) nextFailure(kind Endpoint) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.fail[kind]
	if len(q) == 0 {
		return 0, false
	}
	f.fail[kind] = q[1:]
	return q[0], true
}

// cdnPlan is what one CDN GET must do wrong.
type cdnPlan struct {
	gate    *Gate
	resetAt int64 // -1: no reset
	corrupt bool
}

// takeCDN consumes the faults armed for the next GET of hex. A gate and a
// reset both stop the body, so a gate goes first and a reset waits for the
// following GET; corruption combines with either.
func (f *faults) takeCDN(hex string) cdnPlan {
	f.mu.Lock()
	defer f.mu.Unlock()
	p := cdnPlan{resetAt: -1}
	if q := f.holds[hex]; len(q) > 0 {
		p.gate, f.holds[hex] = q[0], q[1:]
		f.fired.holds.Add(1)
	} else if q := f.resets[hex]; len(q) > 0 {
		p.resetAt, f.resets[hex] = q[0], q[1:]
	}
	if f.corrupt[hex] > 0 {
		f.corrupt[hex]--
		p.corrupt = true
		f.fired.corruptions.Add(1)
	}
	return p
}
