package upstreamtest

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"
)

// bodyWriter sits between http.ServeContent and the connection. It counts
// body bytes (in total and for the blob), paces them to the per-connection
// and the link caps, and fires an armed fault (a
// gate or a reset) once a given number of body bytes is flushed.
type bodyWriter struct {
	http.ResponseWriter
	hub     *Hub
	ctx     context.Context
	blob    *blobStat
	written int64

	tripAt int64  // body offset at which fire runs
	fire   func() // nil when no fault is armed or it already fired

	rate  int64 // bytes per second, 0 = unlimited
	start time.Time
}

func (h *Hub) newBodyWriter(w http.ResponseWriter, r *http.Request, blob *blobStat) *bodyWriter {
	return &bodyWriter{ResponseWriter: w, hub: h, ctx: r.Context(), blob: blob,
		rate: h.bandwidth.Load(), start: time.Now()}
}

// arm applies plan and returns the bytes to serve.
func (b *bodyWriter) arm(plan cdnPlan, content []byte) []byte {
	switch {
	case plan.gate != nil:
		b.tripAt = plan.gate.after
		b.fire = func() { plan.gate.wait(b.ctx, b.hub.done) }
	case plan.resetAt >= 0:
		b.tripAt = plan.resetAt
		b.fire = func() {
			b.hub.faults.fired.resets.Add(1)
			panic(http.ErrAbortHandler)
		}
	}
	if plan.corrupt {
		return flipped(content)
	}
	return content
}

// Unwrap lets http.ResponseController reach the connection.
func (b *bodyWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }

func (b *bodyWriter) WriteHeader(code int) {
	b.ResponseWriter.WriteHeader(code)
	b.maybeFire()
}

func (b *bodyWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		m, err := b.writeChunk(p[:b.chunkLen(len(p))])
		n += m
		p = p[m:]
		if err != nil {
			return n, err
		}
		b.maybeFire()
	}
	return n, nil
}

// chunkLen splits writes at the trip point, so exactly tripAt bytes precede
// the fault, and into small pieces when pacing, so the rate is smooth.
func (b *bodyWriter) chunkLen(n int) int {
	if b.fire != nil && b.tripAt > b.written {
		n = min(n, int(b.tripAt-b.written))
	}
	if b.rate > 0 {
		n = min(n, int(max(b.rate/50, 512)))
	}
	if b.hub.link.limited() {
		n = min(n, linkChunk)
	}
	return n
}

func (b *bodyWriter) writeChunk(p []byte) (int, error) {
	b.pace(len(p))
	// Counted before the write and corrected after: a client may read the
	// last byte before Write returns, and must then already see it counted.
	b.count(int64(len(p)))
	m, err := b.ResponseWriter.Write(p)
	b.count(int64(m - len(p)))
	b.written += int64(m)
	return m, err
}

func (b *bodyWriter) count(n int64) {
	b.hub.count.cdnBytes.Add(n)
	b.blob.bytes.Add(n)
}

// pace holds a chunk of n bytes until both caps allow it: the connection's
// own rate, then its turn on the shared link.
func (b *bodyWriter) pace(n int) {
	if b.rate > 0 {
		due := b.start.Add(time.Duration(float64(b.written) / float64(b.rate) * float64(time.Second)))
		b.waitUntil(due, &b.hub.count.capWaits)
	}
	if b.hub.link.limited() {
		b.waitUntil(b.hub.link.reserve(n), &b.hub.count.linkWaits)
	}
}

// waitUntil sleeps until due, counting the wait on waits. Waits shorter
// than minPause are skipped: the schedule is cumulative, so the next chunk
// catches up, and sub-millisecond timers would cost more than they pace.
func (b *bodyWriter) waitUntil(due time.Time, waits *atomic.Int64) {
	d := time.Until(due)
	if d < minPause {
		return
	}
	waits.Add(1)
	if !b.hub.pause(b.ctx, d) {
		panic(http.ErrAbortHandler)
	}
}

const (
	// linkChunk keeps connections sharing the link interleaved finely
	// enough that each gets its share within milliseconds.
	linkChunk = 64 << 10
	minPause  = time.Millisecond
)

// maybeFire flushes what was written and runs the armed fault once the trip
// point is reached.
func (b *bodyWriter) maybeFire() {
	if b.fire == nil || b.written < b.tripAt {
		return
	}
	fire := b.fire
	b.fire = nil
	http.NewResponseController(b.ResponseWriter).Flush()
	fire()
}

// finish fires a fault whose trip point lay beyond the body, so a Gate is
// always reached and a test waiting on it never hangs.
func (b *bodyWriter) finish() {
	if b.fire != nil {
		b.tripAt = b.written
		b.maybeFire()
	}
}
