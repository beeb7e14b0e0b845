package upstreamtest

import (
	"net/http"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// BlobStats is what the CDN saw of one blob since the last Reset: enough
// to prove a mirror fetched it as parallel ranged pieces, and no byte of
// it twice.
type BlobStats struct {
	Gets       int64 // GETs that reached the CDN with this blob's path
	RangedGets int64 // those carrying a Range header
	Bytes      int64 // body bytes sent for it
	// Active counts this blob's GETs being answered now, MaxActive the most
	// at once: each is its own connection (the CDN speaks HTTP/1.1).
	Active, MaxActive int64
}

type blobStat struct {
	gets, ranged, bytes, active, maxActive atomic.Int64
}

// blobStats keeps one blobStat per digest hex. Reset swaps in a new map;
// a response in flight keeps updating the entry it started with, so its
// bytes and its end are not charged to the next phase.
type blobStats struct {
	mu    sync.Mutex
	byHex map[string]*blobStat
}

func (s *blobStats) get(hex string) *blobStat {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byHex == nil {
		s.byHex = map[string]*blobStat{}
	}
	b := s.byHex[hex]
	if b == nil {
		b = &blobStat{}
		s.byHex[hex] = b
	}
	return b
}

func (s *blobStats) reset() {
	s.mu.Lock()
	s.byHex = nil
	s.mu.Unlock()
}

// begin records the start of a CDN GET of this blob; the caller runs the
// returned func when the response ends.
func (b *blobStat) begin(r *http.Request) (end func()) {
	b.gets.Add(1)
	if r.Header.Get("Range") != "" {
		b.ranged.Add(1)
	}
	n := b.active.Add(1)
	for {
		m := b.maxActive.Load()
		if n <= m || b.maxActive.CompareAndSwap(m, n) {
			break
		}
	}
	return func() { b.active.Add(-1) }
}

// BlobStats returns the CDN's view of d; the zero value if it was never
// asked for.
func (h *Hub) BlobStats(d v1.Hash) BlobStats {
	b := h.blobStats.get(d.Hex)
	return BlobStats{
		Gets: b.gets.Load(), RangedGets: b.ranged.Load(), Bytes: b.bytes.Load(),
		Active: b.active.Load(), MaxActive: b.maxActive.Load(),
	}
}
