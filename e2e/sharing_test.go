package e2e

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// What the README says about sharing: a docker daemon whose user is
// logged in to Docker Hub answers a guarded registry-mirrors' challenge
// with the Docker Hub credentials. The mirror's htpasswd holds those same
// credentials here, so the pull through the mirror succeeds only if
// dockerd sent them; before the login it fails (the 401 sends dockerd to
// Docker Hub, unreachable here).
func TestDockerSendsItsDockerHubLoginToAGuardedMirror(t *testing.T) {
	requireDockerd(t)
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := addImage(t, hub, "library/alpine", "latest")
	mirror := startHubmirror(t, "--upstream", hub.URL, "--htpasswd", writeHtpasswd(t, "hubuser", "hub-password"))
	d := startDockerd(t, mirror)

	if out, err := d.Pull(t, "alpine:latest"); err == nil {
		t.Fatalf("pull through a guarded mirror without any login succeeded:\n%s", out)
	}
	writeDockerHubLogin(t, d.cli.Config, "hubuser", "hub-password")
	if out, err := d.Pull(t, "alpine:latest"); err != nil {
		t.Fatalf("pull with a Docker Hub login: %v\n%s", err, out)
	}
	assertPulled(t, d, "alpine:latest", alpine.manifest, alpine.config)
	if n := hub.BlobGetsFor(alpine.layers[0]); n != 1 {
		t.Errorf("the layer came from upstream %d times, want 1 (through the mirror)", n)
	}
}

// writeDockerHubLogin stores what `docker login` (no server: Docker Hub)
// stores, without contacting Docker Hub.
func writeDockerHubLogin(t *testing.T, configDir, user, password string) {
	t.Helper()
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	b, err := json.Marshal(map[string]any{"auths": map[string]any{"https://index.docker.io/v1/": map[string]string{"auth": auth}}})
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(configDir, "config.json"), b, 0o600); err != nil {
		t.Fatal(err)
	}
}
