package mirror_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

const negativeTTL = 30 * time.Second

// A CI job polling for a tag not pushed yet, and a pod in ImagePullBackOff
// on a typo'd repository: ten pulls within --negative-ttl cost one upstream
// round each, and every client still gets the registry's 404.
func TestMissingTagAndRepositoryAskedOncePerNegativeTTL(t *testing.T) {
	for _, tc := range []struct {
		name, path, code, kind string
	}{
		{"missing tag", "/v2/library/alpine/manifests/not-yet", "MANIFEST_UNKNOWN", metrics.NegativeTag},
		{"missing repository", "/v2/nobody/typo/manifests/latest", "NAME_UNKNOWN", metrics.NegativeRepo},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hub := upstreamtest.New(t, upstreamtest.Options{})
			hub.MustSeedStandard(t)
			met := metrics.Discard()
			m := startMirror(t, hub, setup{negativeTTL: negativeTTL, clock: newClock(), metrics: met})
			for i := range 10 {
				resp, body := get(t, "GET", m+tc.path, "Accept", dockerAccept)
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("pull %d: %d %s", i, resp.StatusCode, body)
				}
				assertErrorCode(t, resp, body, tc.code)
			}
			c := hub.Counts()
			t.Logf("10 pulls: %d tokens, %d pings, %d manifest GETs", c.Tokens, c.Pings, c.ManifestGets)
			if c.ManifestGets > 1 || c.Tokens > 1 {
				t.Errorf("10 pulls cost %d manifest GETs and %d tokens, want one round (a token and a GET)", c.ManifestGets, c.Tokens)
			}
			if got := testutil.ToFloat64(met.NegativeCache.WithLabelValues(tc.kind, metrics.NegativeHit)); got != 9 {
				t.Errorf("negative_cache_total{kind=%s,result=hit} = %v, want 9", tc.kind, got)
			}
		})
	}
}

// Past the TTL upstream is asked again; a success forgets the miss, and
// so does ForgetMissing, which a push that creates the tag calls.
func TestNegativeEntriesExpireAndAreForgotten(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	clk := newClock()
	r := startMirrorUntilStopped(t, hub, setup{negativeTTL: negativeTTL, clock: clk})
	t.Cleanup(r.stop)
	url := r.url + "/v2/library/alpine/manifests/next"
	status := func() int {
		resp, _ := get(t, "GET", url, "Accept", dockerAccept)
		return resp.StatusCode
	}
	status()
	hub.Tag("library/alpine", "next", s.Digest)
	if got := status(); got != http.StatusNotFound {
		t.Errorf("within the TTL: %d, want the remembered 404", got)
	}
	clk.advance(negativeTTL + time.Second)
	if got := status(); got != 200 {
		t.Errorf("past the TTL: %d, want 200", got)
	}

	hub.Reset()
	other := r.url + "/v2/library/alpine/manifests/later"
	get(t, "GET", other, "Accept", dockerAccept)
	hub.Tag("library/alpine", "later", s.Digest)
	r.mirror.ForgetMissing("docker.io", "library/alpine", "later")
	if resp, _ := get(t, "GET", other, "Accept", dockerAccept); resp.StatusCode != 200 {
		t.Errorf("after ForgetMissing: %d, want 200", resp.StatusCode)
	}
	if c := hub.Counts(); c.ManifestGets != 2 {
		t.Errorf("%d upstream GETs, want 2 (the miss, then the fetch after ForgetMissing)", c.ManifestGets)
	}
}

// --negative-ttl 0 remembers nothing.
func TestNegativeTTLZeroDisables(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	m := startMirror(t, hub, setup{})
	for range 3 {
		get(t, "GET", m+"/v2/library/alpine/manifests/nope", "Accept", dockerAccept)
	}
	if c := hub.Counts(); c.ManifestGets != 3 {
		t.Errorf("%d upstream GETs for 3 pulls, want 3", c.ManifestGets)
	}
}
