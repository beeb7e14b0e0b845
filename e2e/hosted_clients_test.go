package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// crane, skopeo and oras push to hosted names and pull back what they
// pushed; a second image on the first one's layer mounts it; nothing of
// a hosted name, nor of a refused push elsewhere, reaches the hub.
func TestHostedPushWithCraneSkopeoOras(t *testing.T) {
	requireTools(t, "skopeo")
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	mirror := startHubmirror(t, "--upstream", hub.URL, "--hosted", "team/*")
	host := hostOf(mirror)
	crane := goTool(t, craneModule)

	base := host + "/team/base:1"
	runTool(t, crane, "append", "--insecure", "-f", writeLayerTar(t, "base.txt", 512<<10), "-t", base)

	// ggcr mounts a base image's layers from another repository of the
	// same registry instead of uploading them again.
	app := host + "/team/app:1"
	out := runTool(t, crane, "append", "--insecure", "-b", base, "-f", writeLayerTar(t, "app.txt", 64<<10), "-t", app)
	if !strings.Contains(out, "mounted blob") {
		t.Errorf("crane append on a hosted base did not mount its layer:\n%s", out)
	}
	pulled := filepath.Join(t.TempDir(), "app.tar")
	runTool(t, crane, "pull", "--insecure", app, pulled)
	runTool(t, crane, "validate", "--tarball", pulled)

	// skopeo: the base out to an OCI layout, in again under a new name.
	layout := filepath.Join(t.TempDir(), "oci")
	runTool(t, "skopeo", "copy", "--src-tls-verify=false", "docker://"+base, "oci:"+layout+":1")
	runTool(t, "skopeo", "copy", "--dest-tls-verify=false", "oci:"+layout+":1", "docker://"+host+"/team/skopeo:1")
	// An OCI layout holds OCI manifests, so skopeo converted the base's
	// Docker manifest on the way out; the way in keeps the layout's.
	var index struct{ Manifests []struct{ Digest string } }
	if err := json.Unmarshal(readFile(t, filepath.Join(layout, "index.json")), &index); err != nil || len(index.Manifests) != 1 {
		t.Fatalf("skopeo's OCI layout: %v %+v", err, index)
	}
	if got := strings.TrimSpace(runTool(t, crane, "digest", "--insecure", host+"/team/skopeo:1")); got != index.Manifests[0].Digest {
		t.Errorf("skopeo pushed %s, want the layout's %s", got, index.Manifests[0].Digest)
	}
	runTool(t, "skopeo", "copy", "--src-tls-verify=false", "docker://"+host+"/team/skopeo:1", "dir:"+t.TempDir())

	assertOrasReferrers(t, host)

	// A push outside --hosted is refused and goes nowhere.
	if out, err := tryTool(t, crane, "copy", "--insecure", base, host+"/other/app:1"); err == nil || !strings.Contains(out, "DENIED") {
		t.Errorf("push outside the hosted patterns: err %v, want DENIED:\n%s", err, out)
	}
	// Before its refused PUT, crane looked the name up (HEAD): other/app
	// is a mirrored name, so those reads may go upstream; no write may.
	if n := hub.WritesFor("other/app"); n != 0 {
		t.Errorf("%d writes for other/app reached the hub", n)
	}
	for _, repo := range []string{"team/base", "team/app", "team/skopeo", "team/art"} {
		if n := hub.RequestsFor(repo); n != 0 {
			t.Errorf("%d requests for hosted %s reached the hub", n, repo)
		}
	}
}

// assertOrasReferrers pushes an artifact with oras, attaches a signature
// to it, and finds the signature with oras discover (the referrers API).
func assertOrasReferrers(t *testing.T, host string) {
	t.Helper()
	oras := goTool(t, orasModule)
	art := host + "/team/art:1"
	readme := writeTestFile(t, "readme.txt", []byte("hosted artifact\n"), 0o644)
	sig := writeTestFile(t, "sig.txt", []byte("signed\n"), 0o644)
	runOras := func(args ...string) string {
		return runTool(t, oras, append(args, "--plain-http")...)
	}
	runOras("push", art, readme+":text/plain", "--disable-path-validation")
	runOras("attach", art, sig+":text/plain", "--artifact-type", "application/vnd.hubmirror.test.signature", "--disable-path-validation")
	var found struct {
		Referrers []struct {
			ArtifactType string `json:"artifactType"`
			Digest       string `json:"digest"`
		} `json:"referrers"`
		Manifests []struct {
			ArtifactType string `json:"artifactType"`
		} `json:"manifests"`
	}
	out := runOras("discover", art, "--format", "json")
	if err := json.Unmarshal([]byte(out), &found); err != nil {
		t.Fatalf("oras discover output: %v\n%s", err, out)
	}
	types := []string{}
	for _, r := range found.Referrers {
		types = append(types, r.ArtifactType)
	}
	for _, m := range found.Manifests {
		types = append(types, m.ArtifactType)
	}
	if len(types) != 1 || types[0] != "application/vnd.hubmirror.test.signature" {
		t.Errorf("oras discover found %v, want the one signature", types)
	}
}
