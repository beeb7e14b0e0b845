package upstreamtest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// cdnGet starts a CDN download and returns the open response.
func cdnGet(t *testing.T, loc string) *http.Response {
	t.Helper()
	resp, err := client.Get(loc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func readN(t *testing.T, r io.Reader, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestHoldRelease(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 64<<10)
	g := h.Hold(d, 1000)
	resp := cdnGet(t, redirect(t, h, d, tok))
	if got := readN(t, resp.Body, 1000); !bytes.Equal(got, content[:1000]) {
		t.Fatal("bytes before the gate differ")
	}
	wait(t, g.Reached(), "gate")
	if c := h.Counts().CDNBytes; c != 1000 {
		t.Fatalf("%d bytes written at the gate, want 1000", c)
	}
	g.Release()
	rest, err := io.ReadAll(resp.Body)
	if err != nil || !bytes.Equal(rest, content[1000:]) {
		t.Fatalf("after release: %v, %d bytes", err, len(rest))
	}
}

func TestHoldBreak(t *testing.T) {
	h, d, _, tok := blobHub(t, Options{}, 64<<10)
	g := h.Hold(d, 0)
	resp := cdnGet(t, redirect(t, h, d, tok))
	wait(t, g.Reached(), "gate")
	g.Break()
	if b, err := io.ReadAll(resp.Body); err == nil || len(b) != 0 {
		t.Fatalf("broken gate: %v, %d bytes", err, len(b))
	}
}

func TestHoldPastEndStillReaches(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 100)
	g := h.Hold(d, 1<<20)
	resp := cdnGet(t, redirect(t, h, d, tok))
	wait(t, g.Reached(), "gate")
	g.Release()
	if b, err := io.ReadAll(resp.Body); err != nil || !bytes.Equal(b, content) {
		t.Fatalf("%v, %d bytes", err, len(b))
	}
}

func TestResetAfter(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 32<<10)
	h.ResetAfter(d, 500)
	loc := redirect(t, h, d, tok)
	resp := cdnGet(t, loc)
	b, err := io.ReadAll(resp.Body)
	if err == nil || !bytes.Equal(b, content[:500]) {
		t.Fatalf("reset: %v, %d bytes", err, len(b))
	}
	if r := do(t, http.MethodGet, loc, nil); !bytes.Equal(r.body, content) {
		t.Fatal("the reset must apply once")
	}
	if h.BlobGetsFor(d) != 2 {
		t.Errorf("BlobGetsFor %d", h.BlobGetsFor(d))
	}
}

func TestCorruptNext(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 8<<10)
	h.CorruptNext(d, 1)
	loc := redirect(t, h, d, tok)
	r := do(t, http.MethodGet, loc, nil)
	if r.status != 200 || len(r.body) != len(content) || blobtest.Digest(r.body) == d {
		t.Fatalf("corrupt: %d, %d bytes", r.status, len(r.body))
	}
	if r := do(t, http.MethodGet, loc, nil); blobtest.Digest(r.body) != d {
		t.Fatal("corruption must apply once")
	}
}

func TestFailNext(t *testing.T) {
	h, _ := seeded(t, Options{})
	h.FailNext(EndpointToken, 1, 503)
	if r := do(t, http.MethodGet, h.Realm+"?service=registry.docker.io", nil); r.status != 503 {
		t.Fatalf("token fault: %d", r.status)
	}
	auth := bearer(token(t, h, "library/alpine", "", ""))
	h.FailNext(EndpointManifest, 2, http.StatusTooManyRequests)
	u := h.URL + "/v2/library/alpine/manifests/latest"
	for range 2 {
		r := do(t, http.MethodGet, u, auth)
		if r.status != 429 || r.header.Get("Retry-After") != "1" || errorCode(t, r.body) != "TOOMANYREQUESTS" {
			t.Fatalf("%d %v", r.status, r.header)
		}
	}
	if r := do(t, http.MethodGet, u, auth); r.status != 200 {
		t.Fatalf("after faults: %d", r.status)
	}
}

func TestOffline(t *testing.T) {
	h := New(t, Options{})
	h.SetOffline(true)
	for _, u := range []string{h.URL + "/v2/", h.Realm, h.CDNURL + "/"} {
		if resp, err := client.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("%s answered %d while offline", u, resp.StatusCode)
		}
	}
	h.SetOffline(false)
	if r := do(t, http.MethodGet, h.URL+"/v2/", nil); r.status != 401 {
		t.Errorf("back online: %d", r.status)
	}
}

// The two tests below measure time because time is what they test.

func TestLatency(t *testing.T) {
	h := New(t, Options{})
	h.SetLatency(100 * time.Millisecond)
	start := time.Now()
	do(t, http.MethodGet, h.URL+"/v2/", nil)
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("answered after %v", el)
	}
}

func TestBandwidth(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{Bandwidth: 256 << 10}, 64<<10)
	loc := redirect(t, h, d, tok)
	start := time.Now()
	r := do(t, http.MethodGet, loc, nil)
	if el := time.Since(start); el < 200*time.Millisecond || !bytes.Equal(r.body, content) {
		t.Errorf("64 KiB at 256 KiB/s took %v", el)
	}
}
