package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// With --htpasswd only clients that log in can pull. The others get the
// Basic challenge that docker login, skopeo --creds and containerd's
// hosts.toml headers answer, and reach nothing upstream.
func TestHtpasswdLetsOnlyUsersPull(t *testing.T) {
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := addImage(t, hub, "library/alpine", "latest")
	mirror := startHubmirror(t, "--upstream", hub.URL, "--htpasswd", writeHtpasswd(t, "puller", "pull-secret"))
	manifest := mirror + "/v2/library/alpine/manifests/latest"

	for _, tc := range []struct {
		what, url string
		header    http.Header
	}{
		{"/v2/ without credentials", mirror + "/v2/", nil},
		{"manifest without credentials", manifest, nil},
		{"manifest with a wrong password", manifest, basicAuth("puller", "guess")},
		{"manifest for an unknown user", manifest, basicAuth("nobody", "pull-secret")},
		{"manifest with a bearer token", manifest, http.Header{"Authorization": {"Bearer pull-secret"}}},
	} {
		resp, body := httpDo(t, http.MethodGet, tc.url, tc.header)
		t.Logf("%s → %d, WWW-Authenticate: %s", tc.what, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		assertOCIError(t, tc.what, resp, body, http.StatusUnauthorized, "UNAUTHORIZED")
		if ch := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Basic realm=") {
			t.Errorf("%s: WWW-Authenticate %q, want a Basic challenge", tc.what, ch)
		}
	}
	if c := hub.Counts(); repoRequests(c) != 0 {
		t.Errorf("refused clients caused upstream requests: %+v", c)
	}

	resp, body := httpDo(t, http.MethodGet, manifest, basicAuth("puller", "pull-secret"))
	if got := resp.Header.Get("Docker-Content-Digest"); resp.StatusCode != http.StatusOK || got != alpine.manifest.String() {
		t.Errorf("logged-in manifest GET: %d %s %q, want 200 %s", resp.StatusCode, got, body, alpine.manifest)
	}
}

// `docker login mirror:port` succeeds, and the daemon then pulls by the
// mirror's address with the stored credentials. A guarded mirror cannot
// serve as registry-mirrors: dockerd keeps no credentials for a mirror,
// gets the 401 and falls back to Docker Hub (tried with dockerd 20.10).
func TestDockerLoginToMirror(t *testing.T) {
	requireDockerd(t)
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := addImage(t, hub, "library/alpine", "latest")
	mirror := startHubmirror(t, "--upstream", hub.URL, "--htpasswd", writeHtpasswd(t, "puller", "pull-secret"))
	host := hostOf(mirror)
	d := startDockerd(t, mirror)

	if out, err := d.login(t, host, "puller", "wrong"); err == nil {
		t.Errorf("docker login with a wrong password succeeded:\n%s", out)
	}
	out, err := d.login(t, host, "puller", "pull-secret")
	if err != nil {
		t.Fatalf("docker login %s: %v", host, err)
	}
	t.Logf("docker login %s: %s", host, lastLine(out))

	ref := host + "/library/alpine:latest"
	if out, err := d.Pull(t, ref); err != nil {
		t.Fatalf("docker pull %s after login: %v\n%s", ref, err, out)
	}
	assertPulled(t, d, ref, alpine.manifest, alpine.config)
	if n := hub.BlobGetsFor(alpine.layers[0]); n != 1 {
		t.Errorf("the layer came from upstream %d times, want 1", n)
	}
}

// login runs `docker login` with the password on stdin, as scripts should.
func (d *dockerd) login(t *testing.T, server, user, password string) (string, error) {
	t.Helper()
	return d.cli.RunWithInput(context.Background(), cliTimeout, strings.NewReader(password),
		"login", "--username", user, "--password-stdin", server)
}

// writeHtpasswd writes a one-user htpasswd file with a bcrypt hash, as
// `htpasswd -B` would, and returns its path.
func writeHtpasswd(t *testing.T, user, password string) string {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	return writeTestFile(t, "htpasswd", []byte(user+":"+string(hash)+"\n"), 0o600)
}

func basicAuth(user, password string) http.Header {
	r, _ := http.NewRequest(http.MethodGet, "/", nil)
	r.SetBasicAuth(user, password)
	return r.Header
}
