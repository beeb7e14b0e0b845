package mirror_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// An expired tag is served from cache, marked stale, while upstream is down;
// a tag never cached gets 503 UNAVAILABLE.
func TestStaleTagServedWhileUpstreamIsDown(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	m := startMirror(t, hub, setup{ttl: time.Nanosecond})
	if resp, _ := get(t, "GET", m+"/v2/library/alpine/manifests/latest"); resp.StatusCode != 200 {
		t.Fatalf("warm-up: %d", resp.StatusCode)
	}
	hub.SetOffline(true)
	resp, body := get(t, "GET", m+"/v2/library/alpine/manifests/latest")
	if resp.StatusCode != 200 || blobtest.Digest(body).String() != s.Digest.String() {
		t.Fatalf("offline: %d %s", resp.StatusCode, body)
	}
	if w := resp.Header.Get("Warning"); w != `110 - "stale"` {
		t.Errorf("Warning = %q", w)
	}
	resp, body = get(t, "GET", m+"/v2/library/busybox/manifests/latest")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("uncached while offline: %d", resp.StatusCode)
	}
	assertErrorCode(t, resp, body, "UNAVAILABLE")
}

// Docker Hub's 429 reaches a client only when nothing is cached, with
// Retry-After passed through.
func TestRateLimitedWithNothingCached(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	m := startMirror(t, hub, setup{})
	hub.FailNext(upstreamtest.EndpointManifest, 4, http.StatusTooManyRequests) // outlasts the retries
	resp, body := get(t, "GET", m+"/v2/library/alpine/manifests/latest")
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429", resp.StatusCode)
	}
	assertErrorCode(t, resp, body, "TOOMANYREQUESTS")
	if resp.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
}

// Passing 5xx are retried: the client never sees them.
func TestTransientUpstreamErrorsAreRetried(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	m := startMirror(t, hub, setup{})
	hub.FailNext(upstreamtest.EndpointManifest, 2, http.StatusServiceUnavailable)
	resp, body := get(t, "GET", m+"/v2/library/alpine/manifests/latest")
	if resp.StatusCode != 200 || blobtest.Digest(body).String() != s.Digest.String() {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	layer := s.Blobs[len(s.Blobs)-1]
	hub.FailNext(upstreamtest.EndpointCDN, 2, http.StatusBadGateway)
	resp, body = get(t, "GET", m+"/v2/library/alpine/blobs/"+layer.String())
	if resp.StatusCode != 200 || blobtest.Digest(body).String() != layer.String() {
		t.Fatalf("blob: status %d", resp.StatusCode)
	}
}
