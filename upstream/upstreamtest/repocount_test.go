package upstreamtest_test

import (
	"net/http"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Every request naming a repository counts for it, the refused writes a
// leaking mirror would send included; other repositories stay at 0.
func TestRequestsForCountsEveryRequestNamingARepo(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	for _, req := range []struct{ method, path string }{
		{"GET", "/v2/team/app/manifests/1.4"},
		{"HEAD", "/v2/team/app/blobs/sha256:" + zeros},
		{"POST", "/v2/team/app/blobs/uploads/"},
		{"PUT", "/v2/team/app/manifests/1.4"},
		{"GET", "/v2/team/app/referrers/sha256:" + zeros},
		{"GET", "/v2/team/app/tags/list"},
	} {
		r, _ := http.NewRequest(req.method, hub.URL+req.path, nil)
		resp, err := http.DefaultClient.Do(r)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	resp, err := http.Get(hub.Realm + "?service=registry.docker.io&scope=repository:team/app:pull,push")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got := hub.RequestsFor("team/app"); got != 7 {
		t.Errorf("RequestsFor(team/app) = %d, want 7", got)
	}
	if got := hub.WritesFor("team/app"); got != 2 {
		t.Errorf("WritesFor(team/app) = %d, want 2 (the POST and the PUT)", got)
	}
	if got := hub.RequestsFor("team"); got != 0 {
		t.Errorf("RequestsFor(team) = %d, want 0", got)
	}
}

const zeros = "0000000000000000000000000000000000000000000000000000000000000000"
