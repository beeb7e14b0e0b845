package upstreamtest

import "time"

// SetRetryAfter sets the Retry-After that injected 429s carry from now on
// (default 1s). Docker Hub's own is minutes to hours, which a mirror must
// not wait out inside a client's request.
func (h *Hub) SetRetryAfter(d time.Duration) { h.retryAfter.Store(int64(d / time.Second)) }

func (h *Hub) retryAfterHeader() string {
	if s := h.retryAfter.Load(); s > 0 {
		return itoa(s)
	}
	return "1"
}
