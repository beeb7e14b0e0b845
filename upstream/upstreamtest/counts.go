package upstreamtest

import (
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Counts is a snapshot of what upstream has seen. Every request that reaches
// a handler is counted, including those answered 401 or with an injected
// fault, because each one is load the real Hub would see.
type Counts struct {
	// Requests counts everything the registry listener received, writes
	// and unknown paths included: what a test that expects a mirror to
	// send nothing upstream (a hosted name, a refused push) checks.
	Requests      int64
	Pings         int64 // GET/HEAD /v2/
	Tokens        int64 // requests to the token endpoint
	ManifestGets  int64
	ManifestHeads int64
	BlobGets      int64 // registry-side blob GETs (answered with the 307)
	BlobHeads     int64
	CDNGets       int64 // every request that reached the CDN
	// CDNAuthorized counts CDN requests carrying an Authorization header: a
	// mirror must never forward a Hub token to a third-party host, so tests
	// expect 0.
	CDNAuthorized int64
	CDNBytes      int64 // body bytes the CDN wrote
	TagLists      int64
	Referrers     int64 // GET /v2/<repo>/referrers/<digest>, answered or not
	Unauthorized  int64 // 401s sent by the registry and the token endpoint
	// TCP connections each listener accepted: a client that keeps its
	// connections alive opens a few, one that does not opens one a request.
	RegistryConns, TokenConns, CDNConns int64
	// CapWaits and LinkWaits count the times a CDN body was held back by
	// the per-connection cap and by the shared link cap.
	CapWaits, LinkWaits int64
	// RoundTrips counts the RTTs charged while SetRTT was on: one per
	// request and one per new connection's handshake.
	RoundTrips int64
}

// TokenRequest records one call to the token endpoint, so tests can check a
// mirror asks for the right scopes and only sends credentials when it has them.
type TokenRequest struct {
	Service  string
	Scopes   []string
	Basic    bool   // Basic credentials were sent
	Username string // from those credentials
}

type counters struct {
	requests                                                        atomic.Int64
	pings, tokens, manifestGets, manifestHeads, blobGets, blobHeads atomic.Int64
	cdnGets, cdnAuthorized, cdnBytes, tagLists, unauthorized        atomic.Int64
	referrers, roundTrips                                           atomic.Int64
	registryConns, tokenConns, cdnConns, capWaits, linkWaits        atomic.Int64

	mu        sync.Mutex
	perBlob   map[string]int64 // CDN GETs by digest hex
	tokenReqs []TokenRequest
}

func (c *counters) init() { c.perBlob = map[string]int64{} }

// Counts returns a snapshot of the counters.
func (h *Hub) Counts() Counts {
	c := &h.count
	return Counts{
		Requests: c.requests.Load(),
		Pings:    c.pings.Load(), Tokens: c.tokens.Load(),
		ManifestGets: c.manifestGets.Load(), ManifestHeads: c.manifestHeads.Load(),
		BlobGets: c.blobGets.Load(), BlobHeads: c.blobHeads.Load(),
		CDNGets: c.cdnGets.Load(), CDNAuthorized: c.cdnAuthorized.Load(),
		CDNBytes: c.cdnBytes.Load(), TagLists: c.tagLists.Load(),
		Unauthorized: c.unauthorized.Load(), Referrers: c.referrers.Load(),
		RegistryConns: c.registryConns.Load(), TokenConns: c.tokenConns.Load(),
		CDNConns: c.cdnConns.Load(), CapWaits: c.capWaits.Load(), LinkWaits: c.linkWaits.Load(),
		RoundTrips: c.roundTrips.Load(),
	}
}

// BlobGetsFor counts CDN GETs of d: the number a mirror should hold at one
// however many clients pull it concurrently.
func (h *Hub) BlobGetsFor(d v1.Hash) int64 {
	h.count.mu.Lock()
	defer h.count.mu.Unlock()
	return h.count.perBlob[d.Hex]
}

// TokenRequests returns every token request since the last Reset, in order.
func (h *Hub) TokenRequests() []TokenRequest {
	h.count.mu.Lock()
	defer h.count.mu.Unlock()
	return slices.Clone(h.count.tokenReqs)
}

// Reset zeroes the counters and restores the rate-limit allowance, so a test
// can measure one phase (say, a second pull) on its own. Content, tokens and
// pending faults are kept.
func (h *Hub) Reset() {
	c := &h.count
	for _, a := range []*atomic.Int64{&c.requests, &c.pings, &c.tokens, &c.manifestGets,
		&c.manifestHeads, &c.blobGets, &c.blobHeads, &c.cdnGets,
		&c.cdnAuthorized, &c.cdnBytes, &c.tagLists, &c.unauthorized, &c.referrers,
		&c.registryConns, &c.tokenConns, &c.cdnConns, &c.capWaits, &c.linkWaits,
		&c.roundTrips} {
		a.Store(0)
	}
	c.mu.Lock()
	c.perBlob = map[string]int64{}
	c.tokenReqs = nil
	c.mu.Unlock()
	h.ranges.reset()
	h.blobStats.reset()
	h.rateRemaining.Store(rateLimit)
}

func (c *counters) repoRequest(kind Endpoint, method string) {
	head := method == http.MethodHead
	switch {
	case kind == EndpointManifest && head:
		c.manifestHeads.Add(1)
	case kind == EndpointManifest:
		c.manifestGets.Add(1)
	case kind == EndpointBlob && head:
		c.blobHeads.Add(1)
	case kind == EndpointBlob:
		c.blobGets.Add(1)
	case kind == EndpointTags:
		c.tagLists.Add(1)
	case kind == EndpointReferrers:
		c.referrers.Add(1)
	}
}

func (c *counters) cdnRequest(r *http.Request) {
	c.cdnGets.Add(1)
	if _, ok := r.Header["Authorization"]; ok {
		c.cdnAuthorized.Add(1)
	}
}

func (c *counters) cdnBlobGet(hex string) {
	c.mu.Lock()
	c.perBlob[hex]++
	c.mu.Unlock()
}

func (c *counters) tokenRequest(tr TokenRequest) {
	c.mu.Lock()
	c.tokenReqs = append(c.tokenReqs, tr)
	c.mu.Unlock()
}
