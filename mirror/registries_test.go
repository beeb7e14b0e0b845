package mirror_test

import (
	"net/http"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// One mirror for several registries: containerd says which with ?ns=,
// other clients put the registry in front of the name, and a bare name is
// Docker Hub. Tags are kept per registry.
func TestRegistryChosenByNsOrPathPrefix(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	ghcr := upstreamtest.New(t, upstreamtest.Options{Service: "ghcr.io"})
	hubAlpine := hub.MustSeedStandard(t)["library/alpine"]
	ghcrAlpine := ghcr.AddImage("library/alpine", "latest", upstreamtest.SmallImage(t)) // same name, other content
	tool := ghcr.AddImage("owner/tool", "1.0", upstreamtest.SmallImage(t))
	m := startMirror(t, hub, setup{others: map[string]*upstreamtest.Hub{"ghcr.io": ghcr}})

	cases := []struct{ path, want string }{
		{"/v2/library/alpine/manifests/latest", hubAlpine.Digest.String()},
		{"/v2/library/alpine/manifests/latest?ns=docker.io", hubAlpine.Digest.String()},
		{"/v2/docker.io/library/alpine/manifests/latest", hubAlpine.Digest.String()},
		{"/v2/library/alpine/manifests/latest?ns=ghcr.io", ghcrAlpine.String()},
		{"/v2/ghcr.io/library/alpine/manifests/latest", ghcrAlpine.String()},
		{"/v2/owner/tool/manifests/1.0?ns=ghcr.io", tool.String()},
		{"/v2/ghcr.io/owner/tool/manifests/1.0", tool.String()},
	}
	for _, tc := range cases {
		if got, _ := manifestDigest(t, m+tc.path); got != tc.want {
			t.Errorf("%s: %s, want %s", tc.path, got, tc.want)
		}
	}
	if hub.Counts().ManifestGets == 0 || ghcr.Counts().ManifestGets == 0 {
		t.Error("both upstreams should have been asked")
	}
}

// A registry that is not configured is refused and never contacted, however
// the client names it.
func TestUnconfiguredRegistryIsNeverContacted(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	m := startMirror(t, hub, setup{})
	by := upstreamtest.NewBystander(t)
	bystander := by.Addr

	for _, path := range []string{
		"/v2/library/alpine/manifests/latest?ns=" + bystander,
		"/v2/" + bystander + "/library/alpine/manifests/latest",
		"/v2/library/alpine/manifests/latest?ns=evil.example",
		"/v2/unknown.host/x/manifests/y",
		"/v2/unknown.host/x/blobs/sha256:0000000000000000000000000000000000000000000000000000000000000000",
	} {
		resp, body := get(t, "GET", m+path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: status %d, want 404", path, resp.StatusCode)
			continue
		}
		assertErrorCode(t, resp, body, "NAME_UNKNOWN")
	}
	if n := by.Connections(); n != 0 {
		t.Errorf("the unconfigured host received %d connections", n)
	}
}

// An allowlist limits which repositories of a registry are mirrored.
func TestAllowlistRefusesOtherRepositories(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	m := startMirror(t, hub, setup{allow: []string{"library/*"}})
	if got, _ := manifestDigest(t, m+"/v2/alpine/manifests/latest"); got == "" {
		t.Fatal("allowed repository refused")
	}
	before := hub.Counts().ManifestGets
	resp, body := get(t, "GET", m+"/v2/someuser/app/manifests/v1")
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("status %d, want 403", resp.StatusCode)
	}
	assertErrorCode(t, resp, body, "DENIED")
	if hub.Counts().ManifestGets != before {
		t.Error("a refused repository was fetched upstream")
	}
}
