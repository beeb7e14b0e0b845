package mirror_test

import (
	"net/http"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// BuildKit configured with mirrors = ["mirror.lan:5000/ghcr.io"] for
// ghcr.io sends the registry twice, as the path prefix and as ?ns=: that is
// one registry, and the repository is owner/tool, not ghcr.io/owner/tool.
func TestBuildKitPrefixAndNsNameOneRegistry(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	ghcr := upstreamtest.New(t, upstreamtest.Options{Service: "ghcr.io"})
	hubAlpine := hub.MustSeedStandard(t)["library/alpine"]
	img := upstreamtest.SmallImage(t)
	tool := ghcr.AddImage("owner/tool", "1.0", img)
	cfg, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	m := startMirror(t, hub, setup{others: map[string]*upstreamtest.Hub{"ghcr.io": ghcr}})

	for path, want := range map[string]string{
		"/v2/ghcr.io/owner/tool/manifests/1.0?ns=ghcr.io":                  tool.String(),
		"/v2/GHCR.io/owner/tool/manifests/1.0?ns=ghcr.io":                  tool.String(),
		"/v2/docker.io/library/alpine/manifests/latest?ns=docker.io":       hubAlpine.Digest.String(),
		"/v2/docker.io/alpine/manifests/latest?ns=docker.io":               hubAlpine.Digest.String(),
		"/v2/index.docker.io/library/alpine/manifests/latest?ns=docker.io": hubAlpine.Digest.String(),
	} {
		if got, _ := manifestDigest(t, m+path); got != want {
			t.Errorf("%s: %s, want %s", path, got, want)
		}
	}
	resp, body := get(t, "GET", m+"/v2/ghcr.io/owner/tool/blobs/"+cfg.String()+"?ns=ghcr.io")
	if resp.StatusCode != http.StatusOK || len(body) == 0 {
		t.Errorf("config blob through the BuildKit path: %d", resp.StatusCode)
	}
}
