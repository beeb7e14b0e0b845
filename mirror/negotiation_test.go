package mirror_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Accept headers of real clients: docker 20.10 and containerd send every
// type; an OCI-minded tool may take the OCI index but not the Docker list.
var (
	dockerAccept  = strings.Join([]string{dockerManifest, dockerList, ociIndex, ociManifest, "application/vnd.docker.distribution.manifest.v1+prettyjws"}, ", ")
	ociWithDocker = strings.Join([]string{ociIndex, ociManifest, dockerManifest}, ", ")
	ociOnly       = strings.Join([]string{ociIndex, ociManifest}, ", ")
)

// pullAs GETs a manifest with an Accept header and returns the answer.
func pullAs(t *testing.T, url, accept string) (*http.Response, string) {
	t.Helper()
	resp, body := get(t, "GET", url, "Accept", accept)
	return resp, blobtest.Digest(body).String()
}

// Hub answers a client that takes the OCI index but not the Docker list
// with the list's amd64 image. That answer must never become what the tag
// means: docker, asking next, before and after the TTL, gets the list.
func TestOCIClientCannotPoisonAListTag(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	bb := hub.MustSeedStandard(t)["library/busybox"]
	clk := newClock()
	url := startMirror(t, hub, setup{ttl: ttl, clock: clk}) + "/v2/library/busybox/manifests/latest"
	amd64 := bb.Children[0].String()

	for round, when := range []string{"before the TTL", "after the TTL"} {
		if resp, d := pullAs(t, url, ociWithDocker); resp.StatusCode != 200 || d != amd64 {
			t.Fatalf("%s: OCI client got %d %s, want Hub's amd64 image %s", when, resp.StatusCode, d, amd64)
		}
		resp, body := get(t, "GET", url, "Accept", ociOnly)
		if resp.StatusCode != http.StatusBadRequest {
			t.Fatalf("%s: a client taking neither the list nor schema 2 got %d, want 400 (never 5xx)", when, resp.StatusCode)
		}
		assertErrorCode(t, resp, body, "MANIFEST_INVALID")
		resp, d := pullAs(t, url, dockerAccept)
		if resp.StatusCode != 200 || d != bb.Digest.String() || resp.Header.Get("Content-Type") != dockerList {
			t.Fatalf("%s: docker got %d %s %s, want the list %s", when, resp.StatusCode, resp.Header.Get("Content-Type"), d, bb.Digest)
		}
		if round == 0 {
			hub.Reset()
			pullAs(t, url, ociWithDocker)
			pullAs(t, url, dockerAccept)
			if c := hub.Counts(); c.ManifestGets+c.ManifestHeads != 0 {
				t.Errorf("warm pulls of both answers asked upstream: %+v", c)
			}
			clk.advance(ttl + time.Second)
		}
	}
}

// A client that takes no index (Docker v2 only) is served its answer from
// the cache like everyone else: one upstream GET for ten pulls, and the
// stale answer while upstream is down.
func TestDockerV2OnlyClientIsCached(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	bb := hub.MustSeedStandard(t)["library/busybox"]
	clk := newClock()
	url := startMirror(t, hub, setup{ttl: ttl, clock: clk}) + "/v2/library/busybox/manifests/latest"
	pullAs(t, url, dockerAccept) // the tag's meaning, cached: it must not stand in for the v2 answer
	hub.Reset()
	for i := range 10 {
		if resp, d := pullAs(t, url, dockerManifest); resp.StatusCode != 200 || d != bb.Children[0].String() {
			t.Fatalf("pull %d: %d %s, want the amd64 image", i, resp.StatusCode, d)
		}
	}
	if c := hub.Counts(); c.ManifestGets > 1 {
		t.Errorf("10 v2-only pulls made %d upstream GETs, want at most 1", c.ManifestGets)
	}
	clk.advance(ttl + time.Second)
	hub.Reset()
	if resp, d := pullAs(t, url, dockerManifest); resp.StatusCode != 200 || d != bb.Children[0].String() {
		t.Errorf("after the TTL: %d %s", resp.StatusCode, d)
	}
	if c := hub.Counts(); c.ManifestGets != 0 || c.ManifestHeads != 1 {
		t.Errorf("revalidating the v2 answer: %d GETs, %d HEADs; want 0 and 1", c.ManifestGets, c.ManifestHeads)
	}
	clk.advance(ttl + time.Second)
	hub.SetOffline(true)
	resp, d := pullAs(t, url, dockerManifest)
	if resp.StatusCode != 200 || d != bb.Children[0].String() || resp.Header.Get("Warning") != `110 - "stale"` {
		t.Errorf("upstream down: %d %s Warning %q, want 200 stale amd64 image", resp.StatusCode, d, resp.Header.Get("Warning"))
	}
	if resp, d := pullAs(t, url, dockerAccept); resp.StatusCode != 200 || d != bb.Digest.String() {
		t.Errorf("docker while upstream down: %d %s, want the list", resp.StatusCode, d)
	}
}

// A tag that was one image and becomes a list: a client that cannot take
// the list is asked for with its own Accept, not handed the list.
func TestTagBecomingAListKeepsV2ClientsServed(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seeded := hub.MustSeedStandard(t)
	bb := seeded["library/busybox"]
	hub.Tag("library/busybox", "moving", seeded["library/busybox"].Children[1])
	clk := newClock()
	url := startMirror(t, hub, setup{ttl: ttl, clock: clk}) + "/v2/library/busybox/manifests/moving"
	if _, d := pullAs(t, url, dockerManifest); d != bb.Children[1].String() {
		t.Fatalf("single image: %s", d)
	}
	hub.Tag("library/busybox", "moving", bb.Digest)
	clk.advance(ttl + time.Second)
	if resp, d := pullAs(t, url, dockerManifest); resp.StatusCode != 200 || d != bb.Children[0].String() {
		t.Errorf("after it became a list, the v2 client got %d %s, want the amd64 image", resp.StatusCode, d)
	}
	if resp, d := pullAs(t, url, dockerAccept); resp.StatusCode != 200 || d != bb.Digest.String() {
		t.Errorf("docker got %d %s, want the list", resp.StatusCode, d)
	}
}

// Hub's 404 to a client that does not take the OCI index is about that
// client's Accept, not the tag: remembered as a miss, it must not turn the
// tag into a miss for docker.
func TestFormatRefusalIsNotAMissForOthers(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	idx, err := upstreamtest.MultiArch(true)
	if err != nil {
		t.Fatal(err)
	}
	d := hub.AddIndex("library/multi", "latest", idx)
	url := startMirror(t, hub, setup{negativeTTL: negativeTTL, clock: newClock()}) + "/v2/library/multi/manifests/latest"
	for range 2 {
		resp, body := get(t, "GET", url, "Accept", dockerList+", "+dockerManifest)
		if resp.StatusCode != http.StatusNotFound {
			t.Fatalf("Docker-only client on an OCI index: %d %s, want Hub's 404", resp.StatusCode, body)
		}
		assertErrorCode(t, resp, body, "MANIFEST_UNKNOWN")
	}
	if resp, got := pullAs(t, url, dockerAccept); resp.StatusCode != 200 || got != d.String() {
		t.Errorf("docker after it: %d %s, want the index %s", resp.StatusCode, got, d)
	}
	if c := hub.Counts(); c.ManifestGets != 2 {
		t.Errorf("%d upstream GETs, want 2: one refusal, remembered, and docker's fetch", c.ManifestGets)
	}
}

// After a restart the v2-only answer is no longer in memory; with upstream
// down it is derived from the cached list and its amd64 image, as Hub
// would have answered, rather than failing the pull.
func TestV2OnlyClientServedFromCachedListAfterRestart(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	bb := hub.MustSeedStandard(t)["library/busybox"]
	dir := t.TempDir()
	first := startMirrorUntilStopped(t, hub, setup{dataDir: dir})
	pullAs(t, first.url+"/v2/library/busybox/manifests/latest", dockerAccept)
	pullAs(t, first.url+"/v2/library/busybox/manifests/"+bb.Children[0].String(), dockerAccept) // as docker does next
	first.stop()

	hub.SetOffline(true)
	url := startMirror(t, hub, setup{dataDir: dir}) + "/v2/library/busybox/manifests/latest"
	resp, d := pullAs(t, url, dockerManifest)
	if resp.StatusCode != 200 || d != bb.Children[0].String() || resp.Header.Get("Warning") != `110 - "stale"` {
		t.Errorf("v2-only client, upstream down, after a restart: %d %s %q, want 200 stale amd64 image", resp.StatusCode, d, resp.Header.Get("Warning"))
	}
	if resp, _ := pullAs(t, url, ociOnly); resp.StatusCode == 200 {
		t.Error("a client taking no schema 2 was given the schema 2 image")
	}
}
