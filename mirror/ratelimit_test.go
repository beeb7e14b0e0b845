package mirror_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Docker Hub's 429 with Retry-After: 30 and nothing cached: containerd
// retries at once, kubelet retries the pull. Six client requests cost one
// upstream request; each gets 429 TOOMANYREQUESTS with the time left; a
// cached tag is served stale meanwhile, and blobs wait too.
func TestRateLimitIsNotAmplified(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seeded := hub.MustSeedStandard(t)
	clk := newClock()
	m := startMirror(t, hub, setup{ttl: ttl, clock: clk})
	alpine := m + "/v2/library/alpine/manifests/latest"
	if resp, _ := pullAs(t, alpine, dockerAccept); resp.StatusCode != 200 {
		t.Fatalf("warm-up: %d", resp.StatusCode)
	}
	clk.advance(ttl + time.Second)
	hub.Reset()
	hub.SetRetryAfter(30 * time.Second)
	hub.FailNext(upstreamtest.EndpointManifest, 6, http.StatusTooManyRequests)

	for i := range 6 {
		resp, body := get(t, "GET", m+"/v2/library/busybox/manifests/latest", "Accept", dockerAccept)
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		assertErrorCode(t, resp, body, "TOOMANYREQUESTS")
		if ra, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || ra < 1 || ra > 30 {
			t.Errorf("request %d: Retry-After %q, want the upstream's 30 s or what is left of it", i, resp.Header.Get("Retry-After"))
		}
	}
	if c := hub.Counts(); c.ManifestGets != 1 {
		t.Errorf("6 client requests made %d upstream GETs, want 1", c.ManifestGets)
	}
	resp, d := pullAs(t, alpine, dockerAccept)
	if resp.StatusCode != 200 || d != seeded["library/alpine"].Digest.String() || resp.Header.Get("Warning") != `110 - "stale"` {
		t.Errorf("cached tag during the cooldown: %d %s %q, want 200 stale", resp.StatusCode, d, resp.Header.Get("Warning"))
	}
	layer := seeded["library/busybox"].Blobs[0]
	if resp, _ := get(t, "GET", m+"/v2/library/busybox/blobs/"+layer.String()); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("uncached blob during the cooldown: %d, want 429", resp.StatusCode)
	}
	if c := hub.Counts(); c.ManifestGets+c.ManifestHeads+c.BlobGets+c.CDNGets != 1 {
		t.Errorf("upstream saw %+v during the cooldown, want only the first GET", c)
	}
}

// Docker Hub's pull allowance reaches the client on answers that came from
// upstream, so a user can see it run down; cached answers carry none.
func TestRateLimitHeadersForwarded(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	url := startMirror(t, hub, setup{}) + "/v2/library/alpine/manifests/latest"
	resp, _ := pullAs(t, url, dockerAccept)
	if resp.Header.Get("Ratelimit-Limit") != "100;w=21600" || resp.Header.Get("Ratelimit-Remaining") != "99;w=21600" {
		t.Errorf("miss: ratelimit-limit %q, ratelimit-remaining %q", resp.Header.Get("Ratelimit-Limit"), resp.Header.Get("Ratelimit-Remaining"))
	}
	if resp, _ := pullAs(t, url, dockerAccept); resp.Header.Get("Ratelimit-Remaining") != "" {
		t.Errorf("a cached answer claims an allowance: %q", resp.Header.Get("Ratelimit-Remaining"))
	}
}

// The same for a blob: a 429 on the download costs one upstream request,
// and the client is told when to come back.
func TestBlobRateLimitCostsOneRequest(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	layer := hub.MustSeedStandard(t)["library/alpine"].Blobs[0]
	m := startMirror(t, hub, setup{})
	hub.SetRetryAfter(30 * time.Second)
	hub.FailNext(upstreamtest.EndpointBlob, 3, http.StatusTooManyRequests)
	for i := range 3 {
		resp, body := get(t, "GET", m+"/v2/library/alpine/blobs/"+layer.String())
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("request %d: %d %s Retry-After %q", i, resp.StatusCode, body, resp.Header.Get("Retry-After"))
		}
		assertErrorCode(t, resp, body, "TOOMANYREQUESTS")
	}
	if c := hub.Counts(); c.BlobGets+c.BlobHeads+c.CDNGets != 1 {
		t.Errorf("3 blob requests cost %+v upstream, want 1 request", c)
	}
}
