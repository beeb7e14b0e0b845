package e2e

import (
	"regexp"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// The "What a user does", with a real dockerd: --hosted team/*,
// --htpasswd and --anonymous-pull. Anonymous pulls of mirrored and hosted
// images work; an anonymous push and a wrong password are refused; after
// docker login a locally made image pushes, a second image on it mounts
// the shared layer, and both pull back anonymously with the digest the
// push reported. No hosted name, nor the refused push outside the
// patterns, reaches the hub.
func TestDockerPushLoginAnonymousPull(t *testing.T) {
	requireDockerd(t)
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := addImage(t, hub, "library/alpine", "latest")
	mirror := startHubmirror(t, "--upstream", hub.URL, "--hosted", "team/*",
		"--htpasswd", writeHtpasswd(t, "dev", "push-pass"), "--anonymous-pull")
	host := hostOf(mirror)
	d := startDockerd(t, mirror)

	// Anonymous pull of a mirrored image, by registry-mirrors.
	if out, err := d.Pull(t, "alpine"); err != nil {
		t.Fatalf("anonymous docker pull alpine: %v\n%s", err, out)
	}
	assertPulled(t, d, "alpine", alpine.manifest, alpine.config)

	app, app2 := host+"/team/app:1.4", host+"/team/app2:1"
	pushed := loginAndPush(t, d, host, app, app2)

	// Anonymous pulls of hosted images, after forgetting everything local.
	mustDocker(t, d, "logout", host)
	mustDocker(t, d, "rm", "app2")
	d.Rmi(t, app, app2)
	for ref, digest := range pushed {
		if out, err := d.Pull(t, ref); err != nil {
			t.Fatalf("anonymous docker pull %s: %v\n%s", ref, err, out)
		}
		repo := ref[:strings.LastIndex(ref, ":")] + "@" + digest
		if got := d.RepoDigests(t, ref); len(got) != 1 || got[0] != repo {
			t.Errorf("RepoDigests of %s = %v, want [%s]", ref, got, repo)
		}
	}
	if out, err := d.Pull(t, host+"/team/app:missing"); err == nil {
		t.Errorf("pull of a missing hosted tag succeeded:\n%s", out)
	}

	// A push outside the patterns is refused, even logged in.
	if out, err := d.login(t, host, "dev", "push-pass"); err != nil {
		t.Fatalf("docker login: %v\n%s", err, out)
	}
	other := host + "/other/app:1"
	mustDocker(t, d, "tag", app, other)
	if out, err := d.docker(t, pullTimeout, "push", other); err == nil || !strings.Contains(strings.ToLower(out), "denied") {
		t.Errorf("push outside --hosted: err %v, want denied:\n%s", err, out)
	}
	// docker looked other/app's layers up first (HEAD): a mirrored name,
	// so those reads may go upstream; no write may.
	if n := hub.WritesFor("other/app"); n != 0 {
		t.Errorf("%d writes for other/app reached the hub", n)
	}
	for _, repo := range []string{"team/app", "team/app2"} {
		if n := hub.RequestsFor(repo); n != 0 {
			t.Errorf("%d requests for hosted %s reached the hub", n, repo)
		}
	}
}

// loginAndPush makes app locally (docker import) and app2 on top of it
// (create, cp, commit: no build, no network), checks that an anonymous
// push and a wrong password are refused, logs in, pushes both and
// returns the digest docker reported for each.
func loginAndPush(t *testing.T, d *dockerd, host, app, app2 string) map[string]string {
	t.Helper()
	mustDocker(t, d, "import", writeLayerTar(t, "app.bin", 1<<20), app)
	// Refused at once ("denied"), not retried layer by layer.
	if out, err := d.docker(t, pullTimeout, "push", app); err == nil || !strings.Contains(out, "denied") {
		t.Fatalf("anonymous docker push: err %v, want denied:\n%s", err, out)
	}
	if out, err := d.login(t, host, "dev", "wrong"); err == nil {
		t.Fatalf("docker login with a wrong password succeeded:\n%s", out)
	}
	if out, err := d.login(t, host, "dev", "push-pass"); err != nil {
		t.Fatalf("docker login: %v\n%s", err, out)
	}
	pushed := map[string]string{app: dockerPush(t, d, app)}
	mustDocker(t, d, "create", "--name", "app2", app, "/none")
	mustDocker(t, d, "cp", writeLayerTar(t, "extra.bin", 64<<10), "app2:/extra.tar")
	mustDocker(t, d, "commit", "app2", app2)
	out := mustDocker(t, d, "push", app2)
	if !strings.Contains(out, "Mounted from team/app") {
		t.Errorf("docker push of an image on team/app did not mount the shared layer:\n%s", out)
	}
	pushed[app2] = pushedDigest(t, out)
	return pushed
}

func mustDocker(t *testing.T, d *dockerd, args ...string) string {
	t.Helper()
	out, err := d.docker(t, pullTimeout, args...)
	if err != nil {
		t.Fatalf("docker %s: %v", strings.Join(args, " "), err)
	}
	return out
}

// dockerPush pushes ref and returns the manifest digest docker reports.
func dockerPush(t *testing.T, d *dockerd, ref string) string {
	t.Helper()
	return pushedDigest(t, mustDocker(t, d, "push", ref))
}

var pushedDigestLine = regexp.MustCompile(`digest: (sha256:[0-9a-f]{64}) size:`)

func pushedDigest(t *testing.T, out string) string {
	t.Helper()
	m := pushedDigestLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no digest in docker push output:\n%s", out)
	}
	return m[1]
}
