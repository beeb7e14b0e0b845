package upstream

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"time"
)

// retryPolicy bounds how hard the client tries before it gives up and lets
// the mirror serve stale content or an error. Bounded in attempts and in
// total time, because a client is waiting on the other end.
type retryPolicy struct {
	attempts  int           // tries in all, the first included
	base      time.Duration // first backoff; doubles each time
	maxWait   time.Duration // cap on one backoff, and on a Retry-After we honour
	maxTotal  time.Duration // give up once this much time has passed
	randFloat func() float64
}

var defaultRetry = retryPolicy{attempts: 4, base: 200 * time.Millisecond, maxWait: 5 * time.Second, maxTotal: 20 * time.Second, randFloat: rand.Float64}

// retryDelay says whether a failed try is worth another, and after how
// long. Connection failures, 5xx and a 429 that says when to come back
// (within maxWait) are; a "no" (4xx) is an answer.
func (p retryPolicy) retryDelay(resp *http.Response, err error, attempt int, elapsed time.Duration) (time.Duration, bool) {
	if attempt >= p.attempts {
		return 0, false
	}
	wait := p.backoff(attempt)
	switch {
	case err != nil:
		if !errors.Is(err, ErrUnreachable) {
			return 0, false
		}
	case resp.StatusCode == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "":
		// A rate limit with no time to come back: another try now would
		// spend more of an allowance that is already gone.
		return 0, false
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		if ra := parseRetryAfter(resp.Header.Get("Retry-After")); ra > wait {
			wait = ra
		}
	default:
		return 0, false
	}
	if wait > p.maxWait || elapsed+wait > p.maxTotal {
		return 0, false
	}
	return wait, true
}

// backoff is exponential with full jitter in its upper half, so clients
// retrying together spread out.
func (p retryPolicy) backoff(attempt int) time.Duration {
	d := p.base << (attempt - 1)
	d = min(d, p.maxWait)
	return d/2 + time.Duration(p.randFloat()*float64(d/2))
}

// withRetry runs try until it succeeds, fails for good, or the policy's
// bounds are reached. Failed responses it retries are drained and closed.
func (c *Client) withRetry(ctx context.Context, try func() (*http.Response, error)) (*http.Response, error) {
	start := time.Now()
	for attempt := 1; ; attempt++ {
		resp, err := try()
		wait, again := c.retry.retryDelay(resp, err, attempt, time.Since(start))
		if !again || ctx.Err() != nil || !retriesAllowed(ctx) {
			return resp, err
		}
		if resp != nil {
			drain(resp)
		}
		c.log.Debug("retrying upstream request", "attempt", attempt, "wait", wait, "error", err)
		if err := sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

type noRetryKey struct{}

// WithoutRetries marks ctx so requests made with it are tried once: for a
// caller that has a good fallback (a cached answer) and would rather use
// it than wait out a backoff.
func WithoutRetries(ctx context.Context) context.Context {
	return context.WithValue(ctx, noRetryKey{}, true)
}

func retriesAllowed(ctx context.Context) bool { return ctx.Value(noRetryKey{}) == nil }
