package mirror_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

type tagPage struct {
	Name string   `json:"name"`
	Tags []string `json:"tags"`
}

// followTags walks a tag list through the mirror from first, following
// each Link, and returns every page's tags and every Link it followed.
func followTags(t *testing.T, base, first string) (tags, links []string) {
	t.Helper()
	next := first
	for range 10 { // bounded: the tests below expect at most four pages
		resp, body := get(t, "GET", base+next)
		var p tagPage
		if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &p) != nil {
			t.Fatalf("GET %s: %d %s", next, resp.StatusCode, body)
		}
		tags = append(tags, p.Tags...)
		link := resp.Header.Get("Link")
		if link == "" {
			return tags, links
		}
		links = append(links, link)
		target, ok := strings.CutSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
		if !ok {
			t.Fatalf("Link %q is not <...>; rel=\"next\"", link)
		}
		next = target
	}
	t.Fatalf("tag list from %s did not end", first)
	return nil, nil
}

// A tag list of a registry other than Docker Hub pages within that
// registry: the Link the mirror sends names the mirror's own path (prefix
// kept, ?ns= kept), so page 2 never comes from Docker Hub's repository of
// the same name. Quay's opaque next_page survives the round trip.
func TestTagListLinksStayInTheRegistry(t *testing.T) {
	for _, opaque := range []bool{false, true} {
		t.Run(fmt.Sprintf("opaque=%v", opaque), func(t *testing.T) {
			hub := upstreamtest.New(t, upstreamtest.Options{})
			ghcr := upstreamtest.New(t, upstreamtest.Options{Service: "ghcr.io"})
			ghcr.SetOpaqueTagPaging(opaque)
			d := ghcr.AddImage("owner/tool", "", upstreamtest.SmallImage(t))
			want := []string{"1.0", "1.1", "2.0", "latest"}
			for _, tag := range want {
				ghcr.Tag("owner/tool", tag, d)
			}
			hub.AddImage("owner/tool", "docker-hub-only", upstreamtest.SmallImage(t)) // the trap
			m := startMirror(t, hub, setup{others: map[string]*upstreamtest.Hub{"ghcr.io": ghcr}})
			hub.Reset()

			for _, first := range []string{
				"/v2/ghcr.io/owner/tool/tags/list?n=1",
				"/v2/owner/tool/tags/list?n=1&ns=ghcr.io",
				"/v2/ghcr.io/owner/tool/tags/list?n=1&ns=ghcr.io", // BuildKit
			} {
				tags, links := followTags(t, m, first)
				if !slices.Equal(tags, want) {
					t.Errorf("%s: pages joined to %v, want %v", first, tags, want)
				}
				path, _, _ := strings.Cut(first, "?")
				for _, l := range links {
					u, _ := url.Parse(strings.TrimSuffix(strings.TrimPrefix(l, "<"), `>; rel="next"`))
					if u.Path != path || (strings.Contains(first, "ns=") && u.Query().Get("ns") != "ghcr.io") {
						t.Errorf("%s: Link %q leaves the client's name space", first, l)
					}
				}
			}
			if c := hub.Counts(); c != (upstreamtest.Counts{}) {
				t.Errorf("Docker Hub was asked while paging ghcr.io: %+v", c)
			}
			if n := ghcr.Counts().TagLists; n != 12 {
				t.Errorf("ghcr.io tag list requests %d, want 12 (4 pages × 3 walks)", n)
			}
		})
	}
}

// A repository with tens of thousands of long tags is megabytes of list:
// it arrives whole and valid, not cut at a buffer limit.
func TestBigTagListIsValidJSON(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	d := hub.AddImage("someuser/many", "", upstreamtest.SmallImage(t))
	const n = 40000
	pad := strings.Repeat("x", 110)
	for i := range n {
		hub.Tag("someuser/many", fmt.Sprintf("%s-%06d", pad, i), d)
	}
	m := startMirror(t, hub, setup{})
	resp, body := get(t, "GET", m+"/v2/someuser/many/tags/list")
	var p tagPage
	if err := json.Unmarshal(body, &p); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("%d, %d bytes: %v", resp.StatusCode, len(body), err)
	}
	t.Logf("%d tags, %d bytes, %d upstream tag list requests", len(p.Tags), len(body), hub.Counts().TagLists)
	if len(p.Tags) != n || len(body) < 4<<20 {
		t.Errorf("%d tags in %d bytes, want %d tags in over 4 MiB", len(p.Tags), len(body), n)
	}
	if c := hub.Counts().TagLists; c != 1 {
		t.Errorf("upstream tag list requests %d, want 1", c)
	}
}

// With upstream down, a tag list is answered from the tags the cache
// knows, marked stale, and paged in the mirror's name space.
func TestTagListFromCacheWhenUpstreamDown(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := hub.MustSeedStandard(t)["library/alpine"]
	for _, tag := range []string{"3.19", "3.20", "edge"} {
		hub.Tag("library/alpine", tag, alpine.Digest)
	}
	m := startMirror(t, hub, setup{})
	for _, tag := range []string{"latest", "3.19", "3.20"} { // edge never pulled
		if resp, body := get(t, "GET", m+"/v2/alpine/manifests/"+tag, dockerPullAccept...); resp.StatusCode != 200 {
			t.Fatalf("pull %s: %d %s", tag, resp.StatusCode, body)
		}
	}
	hub.SetOffline(true)

	resp, body := get(t, "GET", m+"/v2/alpine/tags/list")
	var p tagPage
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &p) != nil {
		t.Fatalf("offline: %d %s", resp.StatusCode, body)
	}
	if want := []string{"3.19", "3.20", "latest"}; !slices.Equal(p.Tags, want) || p.Name != "library/alpine" {
		t.Errorf("offline list %+v, want %v", p, want)
	}
	if w := resp.Header.Get("Warning"); w != `110 - "stale"` {
		t.Errorf("Warning %q", w)
	}
	tags, links := followTags(t, m, "/v2/docker.io/library/alpine/tags/list?n=2&ns=docker.io")
	if !slices.Equal(tags, []string{"3.19", "3.20", "latest"}) || len(links) != 1 ||
		links[0] != `</v2/docker.io/library/alpine/tags/list?last=3.20&n=2&ns=docker.io>; rel="next"` {
		t.Errorf("offline pages %v via %v", tags, links)
	}
	// Nothing cached: the outage is the answer.
	resp, body = get(t, "GET", m+"/v2/someuser/app/tags/list")
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("uncached repository offline: %d, want 503", resp.StatusCode)
	}
	assertErrorCode(t, resp, body, "UNAVAILABLE")
}

// A rate-limited upstream is an outage for tag lists too, and a definite
// "no such repository" is not: that stays a 404.
func TestTagListStaleOnRateLimitNotOnNotFound(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	m := startMirror(t, hub, setup{ttl: time.Hour})
	get(t, "GET", m+"/v2/alpine/manifests/latest", dockerPullAccept...)
	// Asked before the 429: once upstream is cooling down after one, every
	// request to it is answered 429 without asking (TestRateLimitIsNotAmplified).
	resp, body := get(t, "GET", m+"/v2/nobody/nothing/tags/list")
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("missing repository: %d %s", resp.StatusCode, body)
	}
	hub.FailNext(upstreamtest.EndpointTags, 10, http.StatusTooManyRequests)
	resp, body = get(t, "GET", m+"/v2/alpine/tags/list")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Warning") == "" {
		t.Errorf("rate-limited: %d %s", resp.StatusCode, body)
	}
}

// dockerPullAccept is the Accept a docker pull sends: every manifest and
// index type, so the answer is what the tag means for everyone.
var dockerPullAccept = []string{"Accept", dockerManifest, "Accept", dockerList, "Accept", ociManifest, "Accept", ociIndex}

// An upstream that breaks off a tag list mid-body must not leave the
// client holding a shorter list that reads as complete: the mirror breaks
// the client's response too.
func TestTagListCutUpstreamBreaksTheClientResponse(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	d := hub.AddImage("someuser/many", "", upstreamtest.SmallImage(t))
	for i := range 2000 {
		hub.Tag("someuser/many", fmt.Sprintf("tag-%04d", i), d)
	}
	m := startMirror(t, hub, setup{})
	hub.CutNextTagList(10 << 10)
	resp, err := http.Get(m + "/v2/someuser/many/tags/list")
	if err != nil {
		return // refused before any header: also not a list
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Errorf("a cut upstream list reached the client as a complete %d-byte body (status %d)", len(body), resp.StatusCode)
	}
}
