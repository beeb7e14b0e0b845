package mirror_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

const (
	sbomType = "application/spdx+json"
	sigType  = "application/vnd.dev.cosign.artifact.sig.v1+json"
)

// referrersOf asks the mirror for path's referrers and returns their
// digests, sorted, with the answer's headers.
func referrersOf(t *testing.T, url string) ([]string, http.Header) {
	t.Helper()
	resp, body := get(t, "GET", url, "Accept", ociIndex)
	var idx v1.IndexManifest
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &idx) != nil || idx.MediaType != ociIndex || idx.Manifests == nil {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if ct := resp.Header.Get("Content-Type"); ct != ociIndex {
		t.Errorf("Content-Type %q", ct)
	}
	out := []string{}
	for _, d := range idx.Manifests {
		if d.ArtifactType == "" {
			t.Errorf("descriptor %s without artifactType", d.Digest)
		}
		out = append(out, d.Digest.String())
	}
	slices.Sort(out)
	return out, resp.Header
}

// The referrers of a signed image come through the mirror, filtered on
// request, cached by subject for the tag TTL (one upstream request for
// many clients), refreshed after it, and served stale when upstream is
// gone.
func TestReferrersThroughMirror(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := hub.MustSeedStandard(t)["library/alpine"]
	sbom := hub.AddReferrer("library/alpine", alpine.Digest, sbomType)
	sig := hub.AddReferrer("library/alpine", alpine.Digest, sigType)
	clk := newClock()
	m := startMirror(t, hub, setup{clock: clk, ttl: ttl})
	u := m + "/v2/alpine/referrers/" + alpine.Digest.String()

	if got, h := referrersOf(t, u); !slices.Equal(got, upstreamtest.SortedDigests(sbom, sig)) || h.Get("OCI-Filters-Applied") != "" {
		t.Errorf("referrers %v (filters %q), want %v", got, h.Get("OCI-Filters-Applied"), upstreamtest.SortedDigests(sbom, sig))
	}
	got, h := referrersOf(t, u+"?artifactType="+url.QueryEscape(sigType))
	if !slices.Equal(got, upstreamtest.SortedDigests(sig)) || h.Get("OCI-Filters-Applied") != "artifactType" {
		t.Errorf("filtered %v (filters %q), want %v", got, h.Get("OCI-Filters-Applied"), upstreamtest.SortedDigests(sig))
	}
	for range 8 {
		referrersOf(t, u)
	}
	if n := hub.Counts().Referrers; n != 1 {
		t.Errorf("10 client requests within the TTL made %d upstream referrers requests, want 1", n)
	}

	later := hub.AddReferrer("library/alpine", alpine.Digest, sbomType)
	clk.advance(ttl + 1)
	if got, _ := referrersOf(t, u); !slices.Equal(got, upstreamtest.SortedDigests(sbom, sig, later)) {
		t.Errorf("after the TTL %v, want the new referrer too", got)
	}
	if n := hub.Counts().Referrers; n != 2 {
		t.Errorf("upstream referrers requests %d after the TTL, want 2", n)
	}

	hub.SetOffline(true)
	clk.advance(ttl + 1)
	got, h = referrersOf(t, u+"?artifactType="+url.QueryEscape(sbomType))
	if !slices.Equal(got, upstreamtest.SortedDigests(sbom, later)) || h.Get("Warning") != `110 - "stale"` {
		t.Errorf("offline: %v, Warning %q", got, h.Get("Warning"))
	}
}

// Other registries' referrers are reached by path prefix and by ?ns=, as
// for manifests, and never from Docker Hub.
func TestReferrersOfOtherRegistries(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	ghcr := upstreamtest.New(t, upstreamtest.Options{Service: "ghcr.io"})
	tool := ghcr.AddImage("owner/tool", "1.0", upstreamtest.SmallImage(t))
	sig := ghcr.AddReferrer("owner/tool", tool, sigType)
	m := startMirror(t, hub, setup{others: map[string]*upstreamtest.Hub{"ghcr.io": ghcr}})
	for _, path := range []string{
		"/v2/ghcr.io/owner/tool/referrers/" + tool.String(),
		"/v2/owner/tool/referrers/" + tool.String() + "?ns=ghcr.io",
		"/v2/ghcr.io/owner/tool/referrers/" + tool.String() + "?ns=ghcr.io",
	} {
		if got, _ := referrersOf(t, m+path); !slices.Equal(got, upstreamtest.SortedDigests(sig)) {
			t.Errorf("%s: %v, want %v", path, got, upstreamtest.SortedDigests(sig))
		}
	}
	if c := hub.Counts(); c != (upstreamtest.Counts{}) {
		t.Errorf("Docker Hub asked for ghcr.io's referrers: %+v", c)
	}
}

// A registry without the referrers API (404) makes the mirror read the
// sha256-<hex> tag clients push there instead; with no such tag the
// answer is an empty index, and only a missing repository is a 404.
func TestReferrersFallBackToTagSchema(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seeded := hub.MustSeedStandard(t)
	alpine, app := seeded["library/alpine"], seeded["someuser/app"]
	hub.SetReferrersAPI(false)
	sbom := hub.AddReferrer("library/alpine", alpine.Digest, sbomType)
	sig := hub.AddReferrer("library/alpine", alpine.Digest, sigType)
	hub.PushReferrersTag("library/alpine", alpine.Digest)
	m := startMirror(t, hub, setup{})

	if got, _ := referrersOf(t, m+"/v2/alpine/referrers/"+alpine.Digest.String()); !slices.Equal(got, upstreamtest.SortedDigests(sbom, sig)) {
		t.Errorf("via the tag schema %v, want %v", got, upstreamtest.SortedDigests(sbom, sig))
	}
	got, h := referrersOf(t, m+"/v2/alpine/referrers/"+alpine.Digest.String()+"?artifactType="+url.QueryEscape(sbomType))
	if !slices.Equal(got, upstreamtest.SortedDigests(sbom)) || h.Get("OCI-Filters-Applied") != "artifactType" {
		t.Errorf("filtered via the tag schema %v (filters %q)", got, h.Get("OCI-Filters-Applied"))
	}
	if got, _ := referrersOf(t, m+"/v2/someuser/app/referrers/"+app.Digest.String()); len(got) != 0 {
		t.Errorf("unsigned image lists %v", got)
	}
	resp, body := get(t, "GET", m+"/v2/nobody/nothing/referrers/"+alpine.Digest.String())
	if resp.StatusCode != http.StatusNotFound {
		t.Fatalf("missing repository: %d %s", resp.StatusCode, body)
	}
	assertErrorCode(t, resp, body, "NAME_UNKNOWN")
}

// A registry that pages its referrers is followed to the end, and the
// client gets one index.
func TestReferrersPagedUpstreamJoined(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := hub.MustSeedStandard(t)["library/alpine"]
	want := upstreamtest.SortedDigests(hub.AddReferrer("library/alpine", alpine.Digest, sbomType),
		hub.AddReferrer("library/alpine", alpine.Digest, sigType),
		hub.AddReferrer("library/alpine", alpine.Digest, sigType))
	hub.SetReferrersPageSize(2)
	m := startMirror(t, hub, setup{})
	got, h := referrersOf(t, m+"/v2/library/alpine/referrers/"+alpine.Digest.String())
	if !slices.Equal(got, want) || h.Get("Link") != "" {
		t.Errorf("joined %v (Link %q), want %v", got, h.Get("Link"), want)
	}
	if n := hub.Counts().Referrers; n != 2 {
		t.Errorf("upstream referrers requests %d, want 2 pages", n)
	}
}
