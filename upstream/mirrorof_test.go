package upstream

import (
	"context"
	"io"
	"maps"
	"net/url"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// A client whose URL is not the registry's own endpoint talks to a mirror
// (another hubmirror), and names the registry it means in ?ns= on every
// request, as containerd does: without it the mirror would read ghcr.io's
// owner/tool as Docker Hub's. A client of the registry itself sends none.
func TestMirrorOfARegistryIsToldWhichOneInEveryRequest(t *testing.T) {
	for _, tc := range []struct {
		registry, wantNS string
	}{
		{"ghcr.io", "ghcr.io"},
		{"docker.io", "docker.io"}, // containerd sends ns=docker.io to mirrors
		{"", ""},                   // no name given: nothing to tell
		{"self", ""},               // host = the URL's host: the registry itself
	} {
		t.Run(tc.registry, func(t *testing.T) {
			hub := upstreamtest.New(t, upstreamtest.Options{})
			registry := tc.registry
			if registry == "self" {
				registry = hub.Host()
			}
			c, err := New(Options{URL: hub.URL, Registry: registry, UserAgent: "hubmirror-test"})
			if err != nil {
				t.Fatal(err)
			}
			n := everyKindOfRequest(t, hub, c)
			want := map[string]int64{tc.wantNS: n}
			if got := hub.RequestsByNS(); !maps.Equal(got, want) {
				t.Errorf("requests by ns = %v, want %v", got, want)
			}
		})
	}
}

// everyKindOfRequest makes each request a mirror makes of a registry and
// returns how many reached the registry naming a repository.
func everyKindOfRequest(t *testing.T, hub *upstreamtest.Hub, c *Client) int64 {
	t.Helper()
	ctx := context.Background()
	img := hub.AddImage("owner/tool", "1.0", upstreamtest.SmallImage(t))
	hub.AddImage("owner/tool", "2.0", upstreamtest.SmallImage(t))
	hub.AddReferrer("owner/tool", img, "application/example")
	hub.AddReferrer("owner/tool", img, "application/example")
	hub.SetReferrersPageSize(1)
	hub.SetDefaultTagPage(1)
	_, blob := hub.AddTestBlob(t, "owner/tool", 1<<10)
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	_, err := c.Manifest(ctx, "owner/tool", "1.0", nil)
	check("manifest GET", err)
	_, err = c.HeadManifest(ctx, "owner/tool", "1.0", nil)
	check("manifest HEAD", err)
	_, err = c.BlobSize(ctx, "owner/tool", blob)
	check("blob HEAD", err)
	body, _, err := c.Blob(ctx, "owner/tool", blob)
	check("blob GET", err)
	readAll(t, body)
	ranged, err := c.BlobRange(ctx, "owner/tool", blob, 100, 200, nil)
	check("ranged blob GET", err)
	readAll(t, ranged)
	page, err := c.Tags(ctx, "owner/tool", nil)
	check("tags page 1", err)
	readAll(t, page.Body)
	if page.Next.Has("ns") {
		t.Errorf("next page query %v carries ns, which is the client's own", page.Next)
	}
	page, err = c.Tags(ctx, "owner/tool", page.Next)
	check("tags page 2", err)
	readAll(t, page.Body)
	refs, err := c.Referrers(ctx, "owner/tool", img)
	check("referrers, two pages", err)
	if len(refs.Index.Manifests) != 2 {
		t.Fatalf("referrers: %d, want 2 over two pages", len(refs.Index.Manifests))
	}
	return hub.Counts().ManifestGets + hub.Counts().ManifestHeads + hub.Counts().BlobGets +
		hub.Counts().BlobHeads + hub.Counts().TagLists + hub.Counts().Referrers
}

func readAll(t *testing.T, r io.ReadCloser) {
	t.Helper()
	defer r.Close()
	if _, err := io.Copy(io.Discard, r); err != nil {
		t.Fatal(err)
	}
}

// Docker Hub answers at several endpoints; a Docker Hub registry at any of
// them is Hub itself, and any other URL is a mirror of it.
func TestDockerHubEndpointsAreNotMirrors(t *testing.T) {
	for _, tc := range []struct{ registry, url, wantNS string }{
		{"docker.io", "https://registry-1.docker.io", ""},
		{"docker.io", "https://index.docker.io:443", ""},
		{"docker.io", "https://registry.hub.docker.com", ""},
		{"index.docker.io", "https://registry-1.docker.io", ""},
		{"docker.io", "https://mirror.lan:5000", "docker.io"},
		{"ghcr.io", "https://ghcr.io", ""},
		{"ghcr.io", "https://GHCR.io:443", ""},
		{"ghcr.io", "http://ghcr.io:443", "ghcr.io"},
		{"ghcr.io", "https://registry-1.docker.io", "ghcr.io"},
		{"registry.lan:5000", "http://registry.lan:5000", ""},
	} {
		u, _ := url.Parse(tc.url)
		if got := mirrorNS(tc.registry, u); got != tc.wantNS {
			t.Errorf("registry %s at %s: ns %q, want %q", tc.registry, tc.url, got, tc.wantNS)
		}
	}
}
