package mirror_test

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

const ttl = 5 * time.Minute

func manifestDigest(t *testing.T, url string) (string, *http.Response) {
	t.Helper()
	resp, body := get(t, "GET", url)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return blobtest.Digest(body).String(), resp
}

// A retag upstream shows after the TTL and not before; checking an
// unchanged tag costs a HEAD, never a GET (Hub counts GETs as pulls).
func TestTagRevalidatedWithHeadAfterTTL(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seeded := hub.MustSeedStandard(t)
	alpine := seeded["library/alpine"]
	clk := newClock()
	url := alpineExpired(t, hub, setup{clock: clk})
	if got, _ := manifestDigest(t, url); got != alpine.Digest.String() {
		t.Fatalf("after TTL, unchanged: %s", got)
	}
	if c := hub.Counts(); c.ManifestHeads != 1 || c.ManifestGets != 0 {
		t.Errorf("unchanged tag revalidation: %d HEADs, %d GETs; want 1 and 0", c.ManifestHeads, c.ManifestGets)
	}

	hub.AddImage("library/alpine", "", upstreamtest.SmallImage(t)) // make the repo hold a second image
	retagged := hub.AddImage("library/alpine", "latest", upstreamtest.SmallImage(t))
	if got, _ := manifestDigest(t, url); got != alpine.Digest.String() {
		t.Errorf("before TTL the old digest must be served, got %s", got)
	}
	clk.advance(ttl + time.Second)
	if got, _ := manifestDigest(t, url); got != retagged.String() {
		t.Errorf("after TTL the new digest must be served, got %s want %s", got, retagged)
	}
}

// A hundred warm pulls of ten fresh tags cost nothing upstream.
func TestWarmPullsOfFreshTagsStayLocal(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	for i := 0; i < 10; i++ {
		hub.Tag("library/alpine", fmt.Sprintf("v%d", i), s.Digest)
	}
	m := startMirror(t, hub, setup{ttl: ttl})
	pullTags := func() {
		for i := 0; i < 10; i++ {
			manifestDigest(t, fmt.Sprintf("%s/v2/library/alpine/manifests/v%d", m, i))
			for _, b := range s.Blobs {
				if resp, _ := get(t, "GET", m+"/v2/library/alpine/blobs/"+b.String()); resp.StatusCode != 200 {
					t.Fatalf("blob: %d", resp.StatusCode)
				}
			}
		}
	}
	pullTags()
	hub.Reset()
	for round := 0; round < 10; round++ {
		pullTags()
	}
	c := hub.Counts()
	if total := c.Pings + c.Tokens + c.ManifestGets + c.ManifestHeads + c.BlobGets + c.CDNGets; total != 0 {
		t.Errorf("100 warm pulls made %d upstream requests: %+v", total, c)
	}
}

// Many clients finding one tag expired make one HEAD between them.
func TestConcurrentRevalidationsMakeOneHead(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := hub.MustSeedStandard(t)["library/alpine"]
	clk := newClock()
	url := alpineExpired(t, hub, setup{clock: clk})
	hub.SetLatency(50 * time.Millisecond) // keep the first HEAD in flight while the others arrive
	// Each client's answer is kept, because sharing one HEAD is only right
	// if every client that waited on it still gets the manifest.
	type answer struct {
		status          int
		header, bodySum string
		err             error
	}
	answers := make([]answer, 12)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := http.Get(url)
			if err != nil {
				answers[i].err = err
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			answers[i] = answer{resp.StatusCode, resp.Header.Get("Docker-Content-Digest"), blobtest.Digest(body).String(), err}
		}()
	}
	wg.Wait()
	want := alpine.Digest.String()
	for i, a := range answers {
		if a.err != nil || a.status != http.StatusOK || a.header != want || a.bodySum != want {
			t.Errorf("client %d: status %d, Docker-Content-Digest %q, body %s, err %v; want 200 and %s",
				i, a.status, a.header, a.bodySum, a.err, want)
		}
	}
	if c := hub.Counts(); c.ManifestHeads != 1 || c.ManifestGets != 0 {
		t.Errorf("12 concurrent revalidations: %d HEADs, %d GETs; want 1 and 0", c.ManifestHeads, c.ManifestGets)
	}
}

// Docker Hub's 429 on an expired tag: the cached answer is served, stale.
func TestRateLimitedRevalidationServesStale(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	clk := newClock()
	m := startMirror(t, hub, setup{ttl: ttl, clock: clk})
	url := m + "/v2/library/alpine/manifests/latest"
	manifestDigest(t, url)
	clk.advance(ttl + time.Second)
	hub.FailNext(upstreamtest.EndpointManifest, 10, http.StatusTooManyRequests)
	got, resp := manifestDigest(t, url)
	if got != s.Digest.String() || resp.Header.Get("Warning") != `110 - "stale"` {
		t.Errorf("429 on revalidation: digest %s, Warning %q", got, resp.Header.Get("Warning"))
	}
}

// Within the stale-while-revalidate window an expired tag is answered at
// once and refreshed behind the client's back.
func TestStaleWhileRevalidate(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	clk := newClock()
	url := alpineExpired(t, hub, setup{clock: clk, swr: time.Hour})
	retagged := hub.AddImage("library/alpine", "latest", upstreamtest.SmallImage(t))
	if got, _ := manifestDigest(t, url); got != s.Digest.String() {
		t.Fatalf("inside the window the cached digest is served at once, got %s", got)
	}
	for i := 0; i < 500; i++ { // the background refresh lands within a few ms
		if got, _ := manifestDigest(t, url); got == retagged.String() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the background revalidation never picked up the retag")
}

// --offline serves every cached tag, however old, and contacts nobody.
func TestOfflineModeServesOnlyTheCache(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	dir := t.TempDir()
	clk := newClock()
	online := startMirrorUntilStopped(t, hub, setup{ttl: ttl, dataDir: dir, clock: clk})
	manifestDigest(t, online.url+"/v2/library/alpine/manifests/latest")
	online.stop()

	clk.advance(24 * time.Hour)
	hub.Reset()
	m := startMirror(t, hub, setup{ttl: ttl, dataDir: dir, clock: clk, offline: true})
	if got, _ := manifestDigest(t, m+"/v2/library/alpine/manifests/latest"); got != s.Digest.String() {
		t.Errorf("offline: %s", got)
	}
	resp, body := get(t, "GET", m+"/v2/library/busybox/manifests/latest")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("offline miss: %d", resp.StatusCode)
	}
	assertErrorCode(t, resp, body, "UNAVAILABLE")
	c := hub.Counts()
	if total := c.Pings + c.Tokens + c.ManifestGets + c.ManifestHeads + c.BlobGets + c.CDNGets + c.TagLists; total != 0 {
		t.Errorf("offline mode contacted upstream %d times", total)
	}
}

// alpineExpired starts a mirror with the tag TTL ttl, pulls
// library/alpine:latest once, moves s.clock past the TTL and zeroes the
// hub's counts. It returns the tag's URL.
func alpineExpired(t *testing.T, hub *upstreamtest.Hub, s setup) string {
	t.Helper()
	s.ttl = ttl
	url := startMirror(t, hub, s) + "/v2/library/alpine/manifests/latest"
	manifestDigest(t, url)
	s.clock.advance(ttl + time.Second)
	hub.Reset()
	return url
}
