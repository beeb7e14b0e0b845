package upstream

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// retryDelay is the whole retry decision; given the elapsed time as an
// argument, its bound on total time is checked without a clock.
func TestRetryDelay(t *testing.T) {
	p := retryPolicy{attempts: 4, base: 200 * time.Millisecond, maxWait: 5 * time.Second, maxTotal: 20 * time.Second,
		randFloat: func() float64 { return 1 }}
	status := func(code int, retryAfter string) *http.Response {
		h := http.Header{}
		if retryAfter != "" {
			h.Set("Retry-After", retryAfter)
		}
		return &http.Response{StatusCode: code, Header: h}
	}
	for _, tc := range []struct {
		name    string
		resp    *http.Response
		err     error
		attempt int
		elapsed time.Duration
		wait    time.Duration
		again   bool
	}{
		{"503 backs off", status(503, ""), nil, 1, 0, 200 * time.Millisecond, true},
		{"backoff doubles", status(503, ""), nil, 3, 0, 800 * time.Millisecond, true},
		{"last attempt", status(503, ""), nil, 4, 0, 0, false},
		{"429 honours Retry-After", status(429, "3"), nil, 1, 0, 3 * time.Second, true},
		{"503 honours Retry-After", status(503, "2"), nil, 1, 0, 2 * time.Second, true},
		{"Retry-After shorter than backoff", status(429, "0"), nil, 1, 0, 200 * time.Millisecond, true},
		{"Retry-After over the cap", status(429, "6"), nil, 1, 0, 0, false},
		{"429 without Retry-After", status(429, ""), nil, 1, 0, 0, false},
		{"total time would pass", status(503, "3"), nil, 1, 18 * time.Second, 0, false},
		{"total time left", status(503, "3"), nil, 1, 17 * time.Second, 3 * time.Second, true},
		{"404 is an answer", status(404, ""), nil, 1, 0, 0, false},
		{"401 is an answer", status(401, ""), nil, 1, 0, 0, false},
		{"unreachable", nil, fmt.Errorf("%w: refused", ErrUnreachable), 1, 0, 200 * time.Millisecond, true},
		{"refused host", nil, ErrRefusedHost, 1, 0, 0, false},
	} {
		wait, again := p.retryDelay(tc.resp, tc.err, tc.attempt, tc.elapsed)
		if wait != tc.wait || again != tc.again {
			t.Errorf("%s: (%v, %v), want (%v, %v)", tc.name, wait, again, tc.wait, tc.again)
		}
	}
}
