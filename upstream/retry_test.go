package upstream

import (
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Server trouble and rate limiting are retried until they pass; the caller
// only sees the success. The wait before each retry is the backoff, or the
// registry's Retry-After when that is longer (the fake Hub sends 1s with a
// 429), read from the client's log rather than timed.
func TestRetriedStatusesSucceed(t *testing.T) {
	for _, tc := range []struct {
		status int
		fails  int
		waits  []time.Duration
	}{
		{http.StatusServiceUnavailable, 2, []time.Duration{500 * time.Microsecond, time.Millisecond}},
		{http.StatusBadGateway, 1, []time.Duration{500 * time.Microsecond}},
		{http.StatusInternalServerError, 1, []time.Duration{500 * time.Microsecond}},
		{http.StatusTooManyRequests, 1, []time.Duration{time.Second}},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			hub := upstreamtest.New(t, upstreamtest.Options{})
			alpine := seedAlpine(t, hub)
			log := &retryLog{}
			c := hubClient(t, hub, Options{Log: slog.New(log)})
			hub.FailNext(upstreamtest.EndpointManifest, tc.fails, tc.status)
			fetchManifest(t, c, "library/alpine", alpine)
			if got := hub.Counts().ManifestGets; got != int64(tc.fails+1) {
				t.Errorf("%d failures: Hub saw %d GETs, want %d", tc.fails, got, tc.fails+1)
			}
			if got := log.recorded(); !slices.Equal(got, tc.waits) {
				t.Errorf("waits before retries %v, want %v", got, tc.waits)
			}
		})
	}
}

// A 4xx is the registry's answer, not trouble: it reaches the caller after
// one request.
func TestAnswersAreNotRetried(t *testing.T) {
	for _, status := range []int{http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			hub := upstreamtest.New(t, upstreamtest.Options{})
			seedAlpine(t, hub)
			log := &retryLog{}
			c := hubClient(t, hub, Options{Log: slog.New(log)})
			hub.FailNext(upstreamtest.EndpointManifest, 1, status)
			_, err := c.Manifest(t.Context(), "library/alpine", "latest", nil)
			if se := (*StatusError)(nil); !errors.As(err, &se) || se.StatusCode != status || !IsNotFound(err) {
				t.Errorf("error %v, want a not-found StatusError %d", err, status)
			}
			if got := hub.Counts().ManifestGets; got != 1 || len(log.recorded()) != 0 {
				t.Errorf("Hub saw %d GETs, %d retries logged; want 1 and none", got, len(log.recorded()))
			}
		})
	}
}

func TestUnknownTagNotRetried(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seedAlpine(t, hub)
	c := hubClient(t, hub, Options{})
	_, err := c.Manifest(t.Context(), "library/alpine", "nope", nil)
	if se := (*StatusError)(nil); !errors.As(err, &se) || !se.HasCode("MANIFEST_UNKNOWN") {
		t.Errorf("error %v, want MANIFEST_UNKNOWN", err)
	}
	if got := hub.Counts().ManifestGets; got != 1 {
		t.Errorf("Hub saw %d GETs, want 1", got)
	}
}

// However long upstream keeps failing, the client stops after its number
// of attempts and hands the last failure to the caller.
func TestAttemptsAreBounded(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seedAlpine(t, hub)
	c := hubClient(t, hub, Options{})
	hub.FailNext(upstreamtest.EndpointManifest, 10, http.StatusServiceUnavailable)
	_, err := c.Manifest(t.Context(), "library/alpine", "latest", nil)
	if se := (*StatusError)(nil); !errors.As(err, &se) || se.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("error %v, want the last 503", err)
	}
	if got := hub.Counts().ManifestGets; got != int64(defaultRetry.attempts) {
		t.Errorf("Hub saw %d GETs, want %d attempts", got, defaultRetry.attempts)
	}
}

// An unreachable registry is retried as often as a failing one.
func TestConnectionFailuresAreRetried(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seedAlpine(t, hub)
	obs := newObserved()
	c := hubClient(t, hub, Options{Observer: obs})
	hub.SetOffline(true)
	_, err := c.Manifest(t.Context(), "library/alpine", "latest", nil)
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("error %v, want ErrUnreachable", err)
	}
	if got := obs.count("manifest_get", 0); got != defaultRetry.attempts {
		t.Errorf("%d unanswered GETs, want %d attempts", got, defaultRetry.attempts)
	}
}

// A Retry-After longer than the client will wait is not waited out: the
// 429 goes to the caller at once, carrying the delay the registry asked
// for, so the mirror can serve stale content instead.
func TestRetryAfterBeyondTheCapIsNotWaited(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seedAlpine(t, hub)
	c := hubClient(t, hub, Options{})
	c.retry.maxWait = 500 * time.Millisecond // below the fake's Retry-After: 1
	hub.FailNext(upstreamtest.EndpointManifest, 1, http.StatusTooManyRequests)
	_, err := c.Manifest(t.Context(), "library/alpine", "latest", nil)
	if se := (*StatusError)(nil); !errors.As(err, &se) || se.StatusCode != http.StatusTooManyRequests || se.RetryAfter != time.Second {
		t.Errorf("error %v, want 429 with RetryAfter 1s", err)
	}
	if got := hub.Counts().ManifestGets; got != 1 {
		t.Errorf("Hub saw %d GETs, want 1", got)
	}
}

// A caller with a fallback asks once.
func TestWithoutRetriesTriesOnce(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seedAlpine(t, hub)
	c := hubClient(t, hub, Options{})
	hub.FailNext(upstreamtest.EndpointManifest, 1, http.StatusServiceUnavailable)
	if _, err := c.Manifest(WithoutRetries(t.Context()), "library/alpine", "latest", nil); err == nil {
		t.Error("a 503 with retries off must reach the caller")
	}
	if got := hub.Counts().ManifestGets; got != 1 {
		t.Errorf("Hub saw %d GETs, want 1", got)
	}
}

// A CDN failure behind the registry's redirect is retried from the
// registry, which hands out a fresh redirect.
func TestCDNFailureRetriedThroughTheRegistry(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	content, d := hub.AddTestBlob(t, "library/big", 4096)
	c := hubClient(t, hub, Options{})
	hub.FailNext(upstreamtest.EndpointCDN, 1, http.StatusServiceUnavailable)
	body, size, err := c.Blob(t.Context(), "library/big", d)
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	got, err := io.ReadAll(body)
	if err != nil || size != int64(len(content)) || blobtest.Digest(got) != d {
		t.Fatalf("blob: %d of %d bytes, digest %s, %v", len(got), size, blobtest.Digest(got), err)
	}
	if c := hub.Counts(); c.BlobGets != 2 || c.CDNGets != 2 {
		t.Errorf("one CDN 503: %d registry GETs, %d CDN GETs; want 2 and 2", c.BlobGets, c.CDNGets)
	}
}
