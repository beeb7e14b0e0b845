package e2e

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// No log line, at any level, carries the upstream password or the Basic
// header made from it: not on success, not when the token service fails or
// refuses, not when content is corrupt or upstream is down. A mirror with a
// wrong password is watched too, since refusals are where clients tend to
// echo what they sent.
func TestNoCredentialInAnyLogLine(t *testing.T) {
	t.Parallel()
	const user = "mirrorbot"
	password, wrong := "pw-"+rand.Text(), "pw-"+rand.Text()
	hub := upstreamtest.New(t, upstreamtest.Options{Users: map[string]string{user: password}})
	private := addImage(t, hub, user+"/private", "v1")
	addImage(t, hub, user+"/other", "v1")
	hub.SetPrivate(user + "/private")
	hub.SetPrivate(user + "/other")

	good := runHubmirror(t, t.TempDir(), credentialArgs(hub, user, password)...)
	bad := runHubmirror(t, t.TempDir(), credentialArgs(hub, user, wrong)...)
	pullAndFail(t, hub, good.URL, user, private)
	if resp, body := opsGet(t, http.MethodGet, bad.URL+"/v2/"+user+"/private/manifests/v1", "Accept", opsAcceptAll); resp.StatusCode == http.StatusOK {
		t.Errorf("a wrong password pulled a private image: %s", body)
	}
	good.Stop(t)
	bad.Stop(t)

	secrets := map[string]string{
		"password":             password,
		"Basic credentials":    base64.StdEncoding.EncodeToString([]byte(user + ":" + password)),
		"wrong password":       wrong,
		"wrong Basic password": base64.StdEncoding.EncodeToString([]byte(user + ":" + wrong)),
	}
	for _, h := range []*hubmirror{good, bad} {
		log := readLogProving(t, h, user+"/private", h == good)
		for what, s := range secrets {
			if strings.Contains(log, s) {
				t.Errorf("%s contains the %s", h.proc.LogPath(), what)
			}
		}
	}
}

// credentialArgs runs the mirror with the account on the command line, at
// debug level, in JSON; the fake Hub's realm is on localhost, another host
// than its registry, as auth.docker.io is.
func credentialArgs(hub *upstreamtest.Hub, user, password string) []string {
	return []string{"--upstream", hub.URL, "--upstream-username", user, "--upstream-password", password,
		"--upstream-realm-host", "localhost", "--log-level", "debug", "--log-format", "json"}
}

// pullAndFail pulls the private image through the mirror, then makes the
// requests that fail in every way the mirror logs.
func pullAndFail(t *testing.T, hub *upstreamtest.Hub, mirror, user string, private pushed) {
	t.Helper()
	base := mirror + "/v2/" + user
	expect := func(path string, status int) {
		t.Helper()
		if resp, body := opsGet(t, http.MethodGet, base+path, "Accept", opsAcceptAll); resp.StatusCode != status {
			t.Errorf("GET %s: %d, want %d (%s)", path, resp.StatusCode, status, body)
		}
	}
	expect("/private/manifests/v1", http.StatusOK)
	for _, b := range private.blobs()[1:] {
		expect("/private/blobs/"+b.String(), http.StatusOK)
	}
	expect("/private/manifests/nope", http.StatusNotFound)
	hub.FailNext(upstreamtest.EndpointToken, 2, http.StatusInternalServerError) // retried: a debug line
	expect("/other/manifests/v1", http.StatusOK)
	hub.CorruptNext(private.config, 5)
	if err := opsTryGet(base + "/private/blobs/" + private.config.String()); err == nil {
		t.Error("a corrupt blob reached the client as a complete 200")
	}
	hub.SetOffline(true)
	expect("/private/manifests/"+private.config.String(), http.StatusServiceUnavailable)
	hub.SetOffline(false)
}

// opsTryGet reads url to the end and reports any failure: a status other
// than 200, or a body cut short.
func opsTryGet(url string) error {
	resp, err := (&http.Client{Timeout: opsHTTPTimeout}).Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return nil
}

// readLogProving reads a stopped mirror's log, and fails unless it shows
// the private repository and debug output: a log without them proves
// nothing by lacking the password.
func readLogProving(t *testing.T, h *hubmirror, repo string, wantDebug bool) string {
	t.Helper()
	b, err := os.ReadFile(h.proc.LogPath())
	if err != nil {
		t.Fatal(err)
	}
	log := string(b)
	if !strings.Contains(log, repo) {
		t.Errorf("%s never mentions %s, so scanning it proves nothing", h.proc.LogPath(), repo)
	}
	debug := 0
	for _, r := range opsJSONLog(t, h.proc.LogPath()) { // every line is JSON, so the scan saw every field
		if r.str("level") == "DEBUG" {
			debug++
		}
	}
	if wantDebug && debug == 0 {
		t.Errorf("%s has no debug line, so it does not show that debug logging is safe", h.proc.LogPath())
	}
	return log
}
