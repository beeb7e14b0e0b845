package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// The mirror pulls a private repository with the account in its config
// file. The password goes to the token realm only (the fake Hub's realm is
// on localhost, the registry on 127.0.0.1, as auth.docker.io is to
// registry-1.docker.io, hence realm_hosts), never to the blob CDN, and
// never into the log, even at debug level.
func TestUpstreamCredentialsReachOnlyTheTokenRealm(t *testing.T) {
	requireTools(t, "skopeo")
	t.Parallel()
	const user = "mirrorbot"
	password := "pw-" + rand.Text()
	hub := upstreamtest.New(t, upstreamtest.Options{Users: map[string]string{user: password}})
	private := addImage(t, hub, user+"/private", "v1")
	hub.SetPrivate(user + "/private")
	passwordFile := writeTestFile(t, "hub-password", []byte(password+"\n"), 0o600)
	cfg := writeConfig(t, upstreamEntry{
		Host: "docker.io", URL: hub.URL,
		Username: user, PasswordFile: passwordFile,
		RealmHosts: []string{"localhost"},
	})
	h := runHubmirror(t, t.TempDir(), "--config", cfg, "--log-level", "debug")

	dir := t.TempDir()
	skopeoCopy(t, "docker://"+hostOf(h.URL)+"/"+user+"/private:v1", "oci:"+dir)
	if got := ociLayerDigests(t, dir); !slices.Equal(got, private.layers) {
		t.Errorf("copied layers %v, want %v", got, private.layers)
	}
	assertCredentialsOnlyToRealm(t, hub, user)

	h.Stop(t)
	log, err := os.ReadFile(h.proc.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(log), user+"/private") {
		t.Fatalf("the log shows no request for the private repository, so scanning it proves nothing:\n%s", log)
	}
	basic := base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
	for _, secret := range []string{password, basic} {
		if strings.Contains(string(log), secret) {
			t.Errorf("hubmirror's log contains the upstream password (as %q)", secret)
		}
	}
}

// assertCredentialsOnlyToRealm checks that the token realm got the account
// and the CDN never saw an Authorization header.
func assertCredentialsOnlyToRealm(t *testing.T, hub *upstreamtest.Hub, user string) {
	t.Helper()
	withBasic := 0
	for _, tr := range hub.TokenRequests() {
		if tr.Basic {
			withBasic++
			if tr.Username != user {
				t.Errorf("token realm got Basic credentials for %q, want %q", tr.Username, user)
			}
		}
	}
	if withBasic == 0 {
		t.Errorf("the token realm never received the configured credentials: %+v", hub.TokenRequests())
	}
	if c := hub.Counts(); c.CDNAuthorized != 0 || c.CDNGets == 0 {
		t.Errorf("CDN: %d GETs, %d with Authorization; want some, none with it", c.CDNGets, c.CDNAuthorized)
	}
}

// A realm off the registry's domain that the config does not list gets no
// credentials: the mirror refuses the exchange before connecting, so a
// registry cannot talk it into handing the password to another server.
func TestUpstreamCredentialsWithheldFromUnlistedRealm(t *testing.T) {
	t.Parallel()
	const user = "mirrorbot"
	password := "pw-" + rand.Text()
	hub := upstreamtest.New(t, upstreamtest.Options{Users: map[string]string{user: password}})
	addImage(t, hub, user+"/private", "v1")
	hub.SetPrivate(user + "/private")
	cfg := writeConfig(t, upstreamEntry{
		Host: "docker.io", URL: hub.URL,
		Username: user, PasswordFile: writeTestFile(t, "hub-password", []byte(password), 0o600),
	})
	mirror := startHubmirror(t, "--config", cfg)

	resp, body := httpDo(t, http.MethodGet, mirror+"/v2/"+user+"/private/manifests/v1", nil)
	t.Logf("private manifest with the realm not listed → %d %s", resp.StatusCode, body)
	assertOCIError(t, "private manifest, realm not listed", resp, body, http.StatusBadGateway, "UNKNOWN")
	if trs := hub.TokenRequests(); len(trs) != 0 {
		t.Errorf("the unlisted realm was asked for tokens: %+v", trs)
	}
}
