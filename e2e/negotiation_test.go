package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// A client that takes the OCI index but not the Docker list is given the
// list's amd64 image by Hub. After it, a real docker pulling the same
// multi-arch tag through the real binary must still get the list (as its
// RepoDigests show): one client's answer is not the tag for the LAN.
func TestOCIClientThenDockerPullGetsTheList(t *testing.T) {
	requireDockerd(t)
	hub := upstreamtest.New(t, upstreamtest.Options{})
	var busybox image
	for _, img := range seedImages(t, hub) {
		if img.ref == "busybox:latest" {
			busybox = img
		}
	}
	mirror := startHubmirror(t, "--upstream", hub.URL)
	accept := strings.Join([]string{"application/vnd.oci.image.index.v1+json", "application/vnd.oci.image.manifest.v1+json",
		"application/vnd.docker.distribution.manifest.v2+json"}, ", ")
	resp, _ := opsGet(t, http.MethodGet, mirror+"/v2/library/busybox/manifests/latest", "Accept", accept)
	if resp.StatusCode != 200 || resp.Header.Get("Docker-Content-Digest") == busybox.manifest.String() {
		t.Fatalf("OCI client: %d %s, want Hub's amd64 image in place of the list", resp.StatusCode, resp.Header.Get("Docker-Content-Digest"))
	}
	d := startDockerd(t, mirror)
	if out, err := d.Pull(t, busybox.ref); err != nil {
		t.Fatalf("docker pull: %v\n%s", err, out)
	}
	assertPulled(t, d, "docker.io/"+fullRef(busybox.ref), busybox.manifest, busybox.config)
}
