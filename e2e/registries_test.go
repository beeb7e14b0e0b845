package e2e

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Clients that cannot send ?ns= (docker, skopeo, crane) name the registry
// in front of the repository: mirror:5000/ghcr.io/owner/tool:1.0.
func TestPathPrefixPullsFromItsRegistry(t *testing.T) {
	requireTools(t, "skopeo")
	t.Parallel()
	regs := newTwoRegistries(t)
	mirror := hostOf(startHubmirror(t, "--config", regs.config))

	cases := []registryCase{regs.toolCase(), regs.alpineCase()}
	for _, tc := range cases {
		dir := t.TempDir()
		skopeoCopy(t, "docker://"+mirror+"/"+tc.ref, "oci:"+dir)
		if got := ociLayerDigests(t, dir); !slices.Equal(got, tc.want.layers) {
			t.Errorf("%s: copied layers %v, want %v", tc.ref, got, tc.want.layers)
		}
		assertServedBy(t, tc.own, tc.want, tc.other, tc.decoyOnOther)
	}
}

// A registry that is not in the config is refused with NAME_UNKNOWN, however
// the client names it, and the mirror never connects to it: an open mirror
// must not become a way to reach arbitrary hosts from inside the LAN.
func TestUnconfiguredRegistryIsRefusedAndNeverContacted(t *testing.T) {
	t.Parallel()
	regs := newTwoRegistries(t)
	mirror := startHubmirror(t, "--config", regs.config)
	by := upstreamtest.NewBystander(t)
	bystander := by.Addr // 127.0.0.1:PORT, a real host name
	zeros := "sha256:" + strings.Repeat("0", 64)

	for _, path := range []string{
		"/v2/library/alpine/manifests/latest?ns=evil.example",
		"/v2/unknown.host/x/manifests/y",
		"/v2/library/alpine/manifests/latest?ns=" + bystander,
		"/v2/" + bystander + "/library/alpine/manifests/latest",
		"/v2/" + bystander + "/library/alpine/blobs/" + zeros,
		"/v2/library/alpine/tags/list?ns=" + bystander,
	} {
		resp, body := httpDo(t, http.MethodGet, mirror+path, nil)
		t.Logf("GET %s → %d %s", path, resp.StatusCode, body)
		assertOCIError(t, path, resp, body, http.StatusNotFound, "NAME_UNKNOWN")
	}
	for _, hub := range []*upstreamtest.Hub{regs.hub, regs.ghcr} {
		if c := hub.Counts(); repoRequests(c) != 0 {
			t.Errorf("a refused request reached a configured upstream: %+v", c)
		}
	}

	// The request target's host and the Host header are the mirror's own
	// address as far as routing goes: this is an ordinary Docker Hub pull.
	req := rawGet("http://"+bystander+"/v2/library/alpine/manifests/latest", bystander)
	resp, body, err := rawRequest(t, hostOf(mirror), req)
	if err != nil {
		t.Fatalf("absolute-form request: %v", err)
	}
	t.Logf("GET http://%s/v2/library/alpine/manifests/latest → %d", bystander, resp.StatusCode)
	if got := resp.Header.Get("Docker-Content-Digest"); resp.StatusCode != http.StatusOK || got != regs.alpine.manifest.String() {
		t.Errorf("absolute-form request: %d %s %q, want Docker Hub's alpine %s", resp.StatusCode, got, body, regs.alpine.manifest)
	}
	if n := by.Connections(); n != 0 {
		t.Errorf("the unconfigured host received %d connections", n)
	}
}
