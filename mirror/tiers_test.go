package mirror_test

import (
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Tiers: a child mirror whose upstreams are a parent mirror, which
// mirrors the fake Docker Hub and a fake ghcr.io.

// childOf is what a child's config says: each host → the parent's URL.
func childOf(t *testing.T, parentURL string, hosts ...string) []mirror.Registry {
	t.Helper()
	var regs []mirror.Registry
	for _, host := range hosts {
		up, err := upstream.New(upstream.Options{URL: parentURL, Registry: host, UserAgent: "hubmirror-child"})
		if err != nil {
			t.Fatal(err)
		}
		regs = append(regs, mirror.Registry{Host: host, Upstream: up})
	}
	return regs
}

// tiers holds owner/tool:1.0 on both registries with different content, so
// a request the parent reads as the wrong registry's gets the wrong digest.
type tiers struct {
	hub, ghcr         *upstreamtest.Hub
	hubTool, ghcrTool v1.Hash
	parent            running
	child             string
}

func newTiers(t *testing.T, parent, child setup) *tiers {
	t.Helper()
	tr := &tiers{hub: upstreamtest.New(t, upstreamtest.Options{}), ghcr: upstreamtest.New(t, upstreamtest.Options{Service: "ghcr.io"})}
	tr.hubTool = tr.hub.AddImage("owner/tool", "1.0", upstreamtest.SmallImage(t))
	tr.ghcrTool = tr.ghcr.AddImage("owner/tool", "1.0", upstreamtest.SmallImage(t))
	parent.others = map[string]*upstreamtest.Hub{"ghcr.io": tr.ghcr}
	tr.parent = startMirrorUntilStopped(t, tr.hub, parent)
	t.Cleanup(tr.parent.stop)
	child.registries = childOf(t, tr.parent.url, "docker.io", "ghcr.io")
	tr.child = startMirror(t, nil, child)
	return tr
}

func digestOf(t *testing.T, url string) (*http.Response, string) {
	t.Helper()
	resp, body := get(t, "GET", url)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return resp, blobtest.Digest(body).String()
}

// The child names the registry it means, so ghcr.io's owner/tool comes from
// ghcr.io however the client names it, and Docker Hub's repository of the
// same name is never asked for it (nor cached at the parent as ghcr.io's).
func TestChildTellsParentWhichRegistry(t *testing.T) {
	tr := newTiers(t, setup{}, setup{})
	for _, path := range []string{"/v2/owner/tool/manifests/1.0?ns=ghcr.io", "/v2/ghcr.io/owner/tool/manifests/1.0"} {
		if _, d := digestOf(t, tr.child+path); d != tr.ghcrTool.String() {
			t.Errorf("%s through the child: %s, want ghcr.io's %s (Docker Hub's is %s)", path, d, tr.ghcrTool, tr.hubTool)
		}
	}
	if n := tr.hub.RequestsFor("owner/tool"); n != 0 {
		t.Errorf("Docker Hub was asked %d times for owner/tool, a ghcr.io name", n)
	}
	if _, d := digestOf(t, tr.child+"/v2/owner/tool/manifests/1.0"); d != tr.hubTool.String() {
		t.Errorf("Docker Hub's owner/tool through the child: %s, want %s", d, tr.hubTool)
	}
	if _, d := digestOf(t, tr.parent.url+"/v2/owner/tool/manifests/1.0?ns=ghcr.io"); d != tr.ghcrTool.String() {
		t.Errorf("the parent's ghcr.io owner/tool: %s, want %s", d, tr.ghcrTool)
	}
}

// A HEAD of a blob the parent has not cached is answered 200 with its
// size through both tiers: the parent asks upstream with a HEAD, fetching
// nothing (the child must not 404 what the grandparent has).
func TestHeadOfBlobUncachedAtParentThroughChild(t *testing.T) {
	tr := newTiers(t, setup{}, setup{})
	content, d := tr.ghcr.AddTestBlob(t, "owner/tool", 64<<10)
	resp, body := get(t, "HEAD", tr.child+"/v2/ghcr.io/owner/tool/blobs/"+d.String())
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Length") != strconv.Itoa(len(content)) {
		t.Fatalf("HEAD through the child: %d, Content-Length %q %s; want 200, %d", resp.StatusCode, resp.Header.Get("Content-Length"), body, len(content))
	}
	if c := tr.ghcr.Counts(); c.BlobHeads == 0 || c.CDNGets != 0 {
		t.Errorf("ghcr.io saw %d blob HEADs and %d CDN GETs; want a HEAD and no download", c.BlobHeads, c.CDNGets)
	}
	if _, err := tr.parent.store.Open(d); err == nil {
		t.Error("a HEAD made the parent cache the blob")
	}
}

// The parent's stale answer stays stale through the child: passed on with
// its Warning on a miss, and not taken as fresh for a TTL, so the child
// keeps asking the parent instead of serving it as a hit.
func TestParentStaleAnswerStaysStaleThroughChild(t *testing.T) {
	clk := newClock()
	tr := newTiers(t, setup{clock: clk}, setup{clock: clk})
	if _, d := digestOf(t, tr.parent.url+"/v2/owner/tool/manifests/1.0?ns=ghcr.io"); d != tr.ghcrTool.String() {
		t.Fatalf("warm-up of the parent: %s", d)
	}
	clk.advance(2 * time.Hour) // past the parent's TTL
	tr.ghcr.SetOffline(true)
	// The first is the child's miss; the second finds the child's copy
	// already expired and revalidates it with a HEAD the parent answers
	// stale too.
	for i := range 2 {
		resp, d := digestOf(t, tr.child+"/v2/owner/tool/manifests/1.0?ns=ghcr.io")
		if d != tr.ghcrTool.String() || resp.Header.Get("Warning") != `110 - "stale"` {
			t.Errorf("request %d through the child: %s, Warning %q; want %s, stale", i, d, resp.Header.Get("Warning"), tr.ghcrTool)
		}
	}
	// Upstream back: the parent revalidates, and the child's answer is fresh.
	tr.ghcr.SetOffline(false)
	if resp, d := digestOf(t, tr.child+"/v2/owner/tool/manifests/1.0?ns=ghcr.io"); d != tr.ghcrTool.String() || resp.Header.Get("Warning") != "" {
		t.Errorf("upstream back: %s, Warning %q; want %s, fresh", d, resp.Header.Get("Warning"), tr.ghcrTool)
	}
}

// An outage of the parent leaves the child serving what it has cached,
// by tag, stale after the TTL; what it never cached is 503.
func TestParentDownChildServesItsCache(t *testing.T) {
	clk := newClock()
	tr := newTiers(t, setup{clock: clk}, setup{clock: clk})
	_, d := digestOf(t, tr.child+"/v2/ghcr.io/owner/tool/manifests/1.0")
	tr.parent.stop()
	clk.advance(2 * time.Hour)
	resp, got := digestOf(t, tr.child+"/v2/ghcr.io/owner/tool/manifests/1.0")
	if got != d || resp.Header.Get("Warning") != `110 - "stale"` {
		t.Errorf("parent down, past the TTL: %s, Warning %q; want %s, stale", got, resp.Header.Get("Warning"), d)
	}
	resp, body := get(t, "GET", tr.child+"/v2/owner/tool/manifests/1.0")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("never cached, parent down: %d %s, want 503", resp.StatusCode, body)
	}
	assertErrorCode(t, resp, body, "UNAVAILABLE")
}

// The parent's hosted repositories (--hosted) are pullable through the
// child: the child asks for them as Docker Hub names (ns=docker.io), which
// is what the parent hosts.
func TestParentHostedRepositoryPullableThroughChild(t *testing.T) {
	tr := newTiers(t, setup{hosted: []string{"team/*"}}, setup{})
	layer := []byte("a layer pushed to the parent")
	d, _ := pusher{t: t, base: tr.parent.url}.image("team/app", "v1", layer)
	if _, got := digestOf(t, tr.child+"/v2/team/app/manifests/v1"); got != d.String() {
		t.Errorf("hosted manifest through the child: %s, want %s", got, d)
	}
	resp, body := get(t, "GET", tr.child+"/v2/team/app/blobs/"+blobtest.Digest(layer).String())
	if resp.StatusCode != http.StatusOK || string(body) != string(layer) {
		t.Errorf("hosted layer through the child: %d %q", resp.StatusCode, body)
	}
	if n := tr.hub.RequestsFor("team/app"); n != 0 {
		t.Errorf("a hosted name reached Docker Hub %d times", n)
	}
}

// A tag list the parent could only answer from its cache is stale through
// the child too.
func TestParentStaleTagListStaysStaleThroughChild(t *testing.T) {
	tr := newTiers(t, setup{}, setup{})
	digestOf(t, tr.child+"/v2/ghcr.io/owner/tool/manifests/1.0")
	tr.ghcr.SetOffline(true)
	resp, body := get(t, "GET", tr.child+"/v2/ghcr.io/owner/tool/tags/list")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), `"1.0"`) || resp.Header.Get("Warning") != `110 - "stale"` {
		t.Errorf("tags through the child, ghcr.io down: %d %s, Warning %q; want 200, 1.0, stale", resp.StatusCode, body, resp.Header.Get("Warning"))
	}
}

// A large blob the child fetches from the parent in pieces (ranged GETs,
// each with ns) arrives whole and verified, and each byte leaves the
// registry once: the parent joins every piece to its one fill.
func TestLargeBlobInPiecesThroughChild(t *testing.T) {
	tr := newTiers(t, setup{}, setup{parallelism: 4, pieceSize: 4 << 20})
	content, d := tr.ghcr.AddTestBlob(t, "owner/tool", 34<<20)
	resp, body := get(t, "GET", tr.child+"/v2/ghcr.io/owner/tool/blobs/"+d.String())
	if resp.StatusCode != http.StatusOK || blobtest.Digest(body) != d {
		t.Fatalf("large blob through the child: %d, %d bytes, digest %s; want 200 %s", resp.StatusCode, len(body), blobtest.Digest(body), d)
	}
	if c := tr.ghcr.Counts(); c.CDNBytes != int64(len(content)) {
		t.Errorf("ghcr.io sent %d bytes for a %d-byte blob", c.CDNBytes, len(content))
	}
	if n := tr.hub.RequestsFor("owner/tool"); n != 0 {
		t.Errorf("Docker Hub was asked %d times for ghcr.io's blob", n)
	}
}

// A one-word hosted name is Docker Hub's library/<name>, as the child
// (and a dockerd pulling through registry-mirrors) spells it: the parent
// serves `--hosted myapp` pushed as myapp to both spellings, through the
// child too, and never asks Docker Hub; a pattern spelled library/alpine
// answers a pull of plain alpine the same way.
func TestParentOneWordHostedNameThroughChild(t *testing.T) {
	tr := newTiers(t, setup{hosted: []string{"myapp", "library/alpine"}}, setup{})
	myapp, _ := pusher{t: t, base: tr.parent.url}.image("myapp", "v1", []byte("myapp's layer"))
	alpine, _ := pusher{t: t, base: tr.parent.url}.image("library/alpine", "v1", []byte("our alpine's layer"))
	for _, tc := range []struct {
		url  string
		want v1.Hash
	}{
		{tr.parent.url + "/v2/myapp/manifests/v1", myapp},
		{tr.parent.url + "/v2/library/myapp/manifests/v1", myapp},
		{tr.child + "/v2/myapp/manifests/v1", myapp},
		{tr.child + "/v2/library/myapp/manifests/v1", myapp},
		{tr.parent.url + "/v2/alpine/manifests/v1", alpine},
		{tr.child + "/v2/alpine/manifests/v1", alpine},
	} {
		if resp, body := get(t, "GET", tc.url); resp.StatusCode != http.StatusOK || blobtest.Digest(body) != tc.want {
			t.Errorf("GET %s: %d %.80s, want %s", tc.url, resp.StatusCode, body, tc.want)
		}
	}
	resp, body := get(t, "GET", tr.child+"/v2/myapp/blobs/"+blobtest.Digest([]byte("myapp's layer")).String())
	if resp.StatusCode != http.StatusOK || string(body) != "myapp's layer" {
		t.Errorf("hosted layer through the child: %d %q", resp.StatusCode, body)
	}
	for _, repo := range []string{"library/myapp", "myapp", "library/alpine"} {
		if n := tr.hub.RequestsFor(repo); n != 0 {
			t.Errorf("a hosted name reached Docker Hub as %s %d times", repo, n)
		}
	}
}

// A referrers answer the parent could only give from its cache is stale
// through the child too (Warning 110), and the child keeps it as already
// expired: the next request asks the parent again, and once ghcr.io
// answers it gets the fresh answer, a new signature included.
func TestParentStaleReferrersStayStaleThroughChild(t *testing.T) {
	clk := newClock()
	tr := newTiers(t, setup{clock: clk}, setup{clock: clk})
	sig := tr.ghcr.AddReferrer("owner/tool", tr.ghcrTool, "application/vnd.dev.cosign.artifact.sig.v1+json")
	url := tr.child + "/v2/ghcr.io/owner/tool/referrers/" + tr.ghcrTool.String()
	if resp, body := get(t, "GET", tr.parent.url+"/v2/owner/tool/referrers/"+tr.ghcrTool.String()+"?ns=ghcr.io"); resp.StatusCode != http.StatusOK {
		t.Fatalf("warm-up of the parent: %d %s", resp.StatusCode, body)
	}
	clk.advance(2 * time.Hour) // past the parent's TTL
	// ghcr.io fails the parent's next two asks: each is one request, as
	// the parent holds an answer and so does not retry.
	tr.ghcr.FailNext(upstreamtest.EndpointReferrers, 2, http.StatusServiceUnavailable)
	asked := tr.ghcr.Counts().Referrers
	for i := range 2 {
		resp, body := get(t, "GET", url)
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), sig.String()) || resp.Header.Get("Warning") != `110 - "stale"` {
			t.Errorf("request %d through the child, ghcr.io failing: %d %s, Warning %q; want 200, %s, stale", i, resp.StatusCode, body, resp.Header.Get("Warning"), sig)
		}
	}
	if n := tr.ghcr.Counts().Referrers - asked; n != 2 {
		t.Errorf("2 requests through the child reached ghcr.io %d times; want 2 (the parent's stale answer is no hit at the child)", n)
	}
	later := tr.ghcr.AddReferrer("owner/tool", tr.ghcrTool, "application/spdx+json")
	resp, body := get(t, "GET", url)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), later.String()) || resp.Header.Get("Warning") != "" {
		t.Errorf("ghcr.io answering: %d %s, Warning %q; want 200, %s, fresh", resp.StatusCode, body, resp.Header.Get("Warning"), later)
	}
}
