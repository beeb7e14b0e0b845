package upstream

import (
	"net/http"
	"net/url"
	"sync"
	"time"
)

// cooldown keeps a registry's 429 in force until its Retry-After passes:
// containerd retries a 429 five times at once and kubelet retries the
// pull, so without it one refused pull becomes twenty more refused
// requests, each counted against the allowance that ran out. Meanwhile
// every request to the registry is answered with that 429 without being
// sent; the mirror serves what it has cached, stale.
type cooldown struct {
	now func() time.Time // nil: time.Now; its monotonic reading makes clock jumps harmless

	mu    sync.Mutex
	until time.Time
}

func (c *cooldown) clock() time.Time {
	if c.now != nil {
		return c.now()
	}
	return time.Now()
}

// note starts a cooldown when resp is a 429 that says how long to stay away.
func (c *cooldown) note(resp *http.Response) {
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		return
	}
	ra := parseRetryAfter(resp.Header.Get("Retry-After"))
	if ra <= 0 {
		return
	}
	until := c.clock().Add(ra)
	c.mu.Lock()
	if until.After(c.until) {
		c.until = until
	}
	c.mu.Unlock()
}

// refuse returns the 429 a request must get instead of being sent, or nil.
func (c *cooldown) refuse(method string, u *url.URL) error {
	c.mu.Lock()
	left := c.until.Sub(c.clock())
	c.mu.Unlock()
	if left <= 0 {
		return nil
	}
	return &StatusError{
		StatusCode: http.StatusTooManyRequests, Codes: []string{"TOOMANYREQUESTS"},
		RetryAfter: left, Method: method, URL: u.Redacted() + " (not sent: rate limited)",
	}
}
