package upstream

import (
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
)

// rateLimit keeps the latest pull allowance Docker Hub reported, from its
// "ratelimit-limit: 100;w=21600" and "ratelimit-remaining: 76;w=21600"
// headers. An office behind one IP shares the allowance, so operators want
// to see it run down.
type rateLimit struct {
	limit, remaining atomic.Int64
	seen             atomic.Bool
}

func (r *rateLimit) observe(h http.Header) (remaining int64, ok bool) {
	rem, ok := leadingInt(h.Get("Ratelimit-Remaining"))
	if !ok {
		return 0, false
	}
	r.remaining.Store(rem)
	if lim, ok := leadingInt(h.Get("Ratelimit-Limit")); ok {
		r.limit.Store(lim)
	}
	r.seen.Store(true)
	return rem, true
}

func leadingInt(v string) (int64, bool) {
	v, _, _ = strings.Cut(v, ";")
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	return n, err == nil
}

// RateLimit returns the upstream's last reported pull limit and how much of
// it remains; ok is false until a response carried the headers.
func (c *Client) RateLimit() (limit, remaining int64, ok bool) {
	return c.limits.limit.Load(), c.limits.remaining.Load(), c.limits.seen.Load()
}

// rateLimitHeaders copies the pull allowance headers a registry sent.
func rateLimitHeaders(h http.Header) http.Header {
	out := http.Header{}
	for _, k := range []string{"Ratelimit-Limit", "Ratelimit-Remaining"} {
		if v := h.Get(k); v != "" {
			out.Set(k, v)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
