package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// The mirror's password_file is rewritten while it serves, as a secret
// manager rotating an ECR or GAR token would, and the registry then
// refuses the old secret: the next private pull (whose token exchange
// comes after the rotation) succeeds with the new one, without a restart,
// and neither secret reaches the debug log in any form.
func TestPasswordFileRotationWhileServing(t *testing.T) {
	requireTools(t, "skopeo")
	t.Parallel()
	const user = "mirrorbot"
	oldSecret, newSecret := "pw-"+rand.Text(), "pw-"+rand.Text()
	hub := upstreamtest.New(t, upstreamtest.Options{Users: map[string]string{user: oldSecret}})
	repo := user + "/private"
	v1 := addImage(t, hub, repo, "v1")
	hub.SetPrivate(repo)
	passwordFile := writeTestFile(t, "hub-password", []byte(oldSecret+"\n"), 0o600)
	cfg := writeConfig(t, upstreamEntry{
		Host: "docker.io", URL: hub.URL, Username: user, PasswordFile: passwordFile,
		RealmHosts: []string{"localhost"},
	})
	h := runHubmirror(t, t.TempDir(), "--config", cfg, "--log-level", "debug", "--log-format", "json")
	pullPrivate(t, h.URL, repo+":v1", v1)

	rotatePasswordFile(t, passwordFile, newSecret)
	hub.SetUser(user, newSecret)
	hub.ExpireTokens() // the mirror's cached token must not carry the next pull past the exchange
	hub.Reset()
	hub.FailNext(upstreamtest.EndpointToken, 1, 500) // retried, with a debug line that must not show the secret
	v2 := addImage(t, hub, repo, "v2")
	pullPrivate(t, h.URL, repo+":v2", v2)
	assertCredentialsOnlyToRealm(t, hub, user)

	h.Stop(t)
	log := readLogProving(t, h, repo, true)
	if !strings.Contains(log, "password file changed") {
		t.Error("the log does not tell of the rotation")
	}
	for _, s := range []string{oldSecret, newSecret} {
		for _, form := range []string{s, base64.StdEncoding.EncodeToString([]byte(user + ":" + s)),
			base64.StdEncoding.EncodeToString([]byte(s))} {
			if strings.Contains(log, form) {
				t.Errorf("%s contains a secret (as %q)", h.proc.LogPath(), form)
			}
		}
	}
}

// rotatePasswordFile replaces the file by rename, as secret managers and
// Kubernetes secret volumes do, so the mirror never reads half a secret.
func rotatePasswordFile(t *testing.T, path, secret string) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".rotating")
	if err := os.WriteFile(tmp, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

// pullPrivate copies ref through the mirror with skopeo and checks its layers.
func pullPrivate(t *testing.T, mirrorURL, ref string, want pushed) {
	t.Helper()
	dir := t.TempDir()
	skopeoCopy(t, "docker://"+hostOf(mirrorURL)+"/"+ref, "oci:"+dir)
	if got := ociLayerDigests(t, dir); !slices.Equal(got, want.layers) {
		t.Errorf("%s: copied layers %v, want %v", ref, got, want.layers)
	}
}
