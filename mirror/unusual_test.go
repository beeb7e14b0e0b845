package mirror_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Docker Hub still serves some old images as schema 1, whose digest covers
// the payload without its signatures. The mirror answers a clear 400
// UNSUPPORTED, never a 502 "does not match its digest".
func TestSchema1IsAClearClientError(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	d := hub.AddSchema1("library/old", "1", 1000)
	m := startMirror(t, hub, setup{})
	for _, tc := range []struct{ method, ref string }{
		{"GET", "1"}, {"HEAD", "1"}, {"GET", d.String()},
	} {
		resp, body := get(t, tc.method, m+"/v2/library/old/manifests/"+tc.ref, "Accept", dockerAccept)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s %s: %d %s, want 400", tc.method, tc.ref, resp.StatusCode, body)
			continue
		}
		if tc.method == "GET" {
			assertErrorCode(t, resp, body, "UNSUPPORTED")
		}
	}
}

// A registry that refuses HEAD, or answers it without a digest, cannot say
// whether a tag moved; the mirror asks with a GET instead of failing.
func TestRevalidationFallsBackToGetWhenHeadIsUnusable(t *testing.T) {
	for _, mode := range []upstreamtest.HeadMode{upstreamtest.HeadNotAllowed, upstreamtest.HeadNoDigest} {
		hub := upstreamtest.New(t, upstreamtest.Options{})
		s := hub.MustSeedStandard(t)["library/alpine"]
		clk := newClock()
		url := alpineExpired(t, hub, setup{clock: clk})
		hub.SetHeadMode(mode)
		if resp, d := pullAs(t, url, dockerAccept); resp.StatusCode != 200 || d != s.Digest.String() {
			t.Errorf("mode %d, unchanged: %d %s", mode, resp.StatusCode, d)
		}
		retagged := hub.AddImage("library/alpine", "latest", upstreamtest.SmallImage(t))
		clk.advance(ttl + time.Second)
		if resp, d := pullAs(t, url, dockerAccept); resp.StatusCode != 200 || d != retagged.String() || resp.Header.Get("Warning") != "" {
			t.Errorf("mode %d, retagged: %d %s %q, want 200 %s", mode, resp.StatusCode, d, resp.Header.Get("Warning"), retagged)
		}
		if c := hub.Counts(); c.ManifestGets != 2 || c.ManifestHeads != 2 {
			t.Errorf("mode %d: %d GETs and %d HEADs for two revalidations, want 2 and 2", mode, c.ManifestGets, c.ManifestHeads)
		}
	}
}
