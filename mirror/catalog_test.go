package mirror_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// _catalog lists what the LAN has pulled, across registries, in pages.
func TestCatalogListsPulledRepositories(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	ghcr := upstreamtest.New(t, upstreamtest.Options{Service: "ghcr.io"})
	hub.MustSeedStandard(t)
	ghcr.AddImage("owner/tool", "1.0", upstreamtest.SmallImage(t))
	m := startMirror(t, hub, setup{others: map[string]*upstreamtest.Hub{"ghcr.io": ghcr}})

	if got := catalogPage(t, m+"/v2/_catalog"); len(got.repos) != 0 {
		t.Fatalf("empty cache lists %v", got.repos)
	}
	for _, p := range []string{"/v2/alpine/manifests/latest", "/v2/library/busybox/manifests/latest",
		"/v2/someuser/app/manifests/v1", "/v2/ghcr.io/owner/tool/manifests/1.0"} {
		manifestDigest(t, m+p)
	}
	all := catalogPage(t, m+"/v2/_catalog")
	want := []string{"ghcr.io/owner/tool", "library/alpine", "library/busybox", "someuser/app"}
	if strings.Join(all.repos, " ") != strings.Join(want, " ") {
		t.Errorf("catalog = %v, want %v", all.repos, want)
	}

	first := catalogPage(t, m+"/v2/_catalog?n=2")
	if strings.Join(first.repos, " ") != "ghcr.io/owner/tool library/alpine" || !strings.Contains(first.link, "last=library%2Falpine") {
		t.Fatalf("first page %v, Link %q", first.repos, first.link)
	}
	second := catalogPage(t, m+"/v2/_catalog?n=2&last=library/alpine")
	if strings.Join(second.repos, " ") != "library/busybox someuser/app" || second.link != "" {
		t.Errorf("second page %v, Link %q", second.repos, second.link)
	}
	if one := catalogPage(t, m+"/v2/_catalog?ns=ghcr.io"); strings.Join(one.repos, " ") != "owner/tool" {
		t.Errorf("ns=ghcr.io lists %v", one.repos)
	}
	resp, body := get(t, "GET", m+"/v2/_catalog?n=-1")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("n=-1: %d %s", resp.StatusCode, body)
	}
}

type page struct {
	repos []string
	link  string
}

func catalogPage(t *testing.T, url string) page {
	t.Helper()
	resp, body := get(t, "GET", url)
	var out struct{ Repositories []string }
	if resp.StatusCode != 200 || json.Unmarshal(body, &out) != nil || out.Repositories == nil {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	return page{repos: out.Repositories, link: resp.Header.Get("Link")}
}
