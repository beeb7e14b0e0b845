package upstreamtest

import (
	"context"
	"net/http"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Gate holds one CDN response part-way through its body, so a test can act
// while a download is provably in flight (join a second client, cancel the
// first) without sleeping.
type Gate struct {
	after   int64
	reached chan struct{}
	release chan struct{}
	broken  chan struct{}

	reachOnce, releaseOnce, breakOnce sync.Once
}

// Hold arms a gate on the next CDN GET of d: afterBytes of the body are
// written and flushed, then the handler blocks until Release or Break. If
// the body is shorter, it blocks after the whole body. Gates on the same
// digest apply to successive GETs in order.
func (h *Hub) Hold(d v1.Hash, afterBytes int64) *Gate {
	g := &Gate{
		after:   afterBytes,
		reached: make(chan struct{}),
		release: make(chan struct{}),
		broken:  make(chan struct{}),
	}
	h.faults.mu.Lock()
	defer h.faults.mu.Unlock()
	h.faults.holds[d.Hex] = append(h.faults.holds[d.Hex], g)
	return g
}

// Reached is closed once the bytes before the gate are flushed to the
// client and the handler is blocked.
func (g *Gate) Reached() <-chan struct{} { return g.reached }

// Release lets the response finish normally.
func (g *Gate) Release() { g.releaseOnce.Do(func() { close(g.release) }) }

// Break aborts the connection instead of sending the rest, as a CDN reset
// would.
func (g *Gate) Break() { g.breakOnce.Do(func() { close(g.broken) }) }

// wait blocks the handler at the gate. Everything but Release ends the
// response abruptly: Break, the client going away, or the Hub closing.
func (g *Gate) wait(ctx context.Context, hubDone <-chan struct{}) {
	g.reachOnce.Do(func() { close(g.reached) })
	select {
	case <-g.release:
		return
	case <-g.broken:
	case <-ctx.Done():
	case <-hubDone:
	}
	panic(http.ErrAbortHandler)
}
