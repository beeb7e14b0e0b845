package upstreamtest

import (
	"slices"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ranges records the Range header of every CDN GET, so a test can prove a
// client resumed a broken body from the byte it broke at rather than
// starting over. "" stands for a GET of the whole blob.
type ranges struct {
	mu    sync.Mutex
	byHex map[string][]string
}

func (r *ranges) record(hex, rangeHeader string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byHex == nil {
		r.byHex = map[string][]string{}
	}
	r.byHex[hex] = append(r.byHex[hex], rangeHeader)
}

func (r *ranges) reset() {
	r.mu.Lock()
	r.byHex = nil
	r.mu.Unlock()
}

// CDNRanges returns the Range header of each CDN GET of d since the last
// Reset, in arrival order; a GET without one appears as "".
func (h *Hub) CDNRanges(d v1.Hash) []string {
	h.ranges.mu.Lock()
	defer h.ranges.mu.Unlock()
	return slices.Clone(h.ranges.byHex[d.Hex])
}

// ExpireTokens makes every token issued so far expired, as if its TTL had
// passed, while the client still believes it live: the registry then
// answers it with invalid_token. Tests use it to watch renewal without
// waiting out a real TTL.
func (h *Hub) ExpireTokens() {
	now := time.Now()
	h.tokens.mu.Lock()
	defer h.tokens.mu.Unlock()
	for tok, g := range h.tokens.issued {
		g.expires = now
		h.tokens.issued[tok] = g
	}
}
