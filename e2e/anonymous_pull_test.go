package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// With --htpasswd --anonymous-pull, each client pulls a mirrored and a
// hosted image without credentials, each by its own way of meeting the
// 401 on /v2/ (login.go): crane and skopeo follow the Bearer challenge of
// their ping to the mirror's realm, containerd never pings and reads
// directly. docker is TestDockerPushLoginAnonymousPull's.
func TestAnonymousPullByEveryClient(t *testing.T) {
	requireRoot(t)
	requireTools(t, "containerd", "ctr", "skopeo")
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := addImage(t, hub, "library/alpine", "latest")
	mirror := startHubmirror(t, "--upstream", hub.URL, "--hosted", "team/*",
		"--htpasswd", writeHtpasswd(t, "dev", "push-pass"), "--anonymous-pull")
	host := hostOf(mirror)
	crane := goTool(t, craneModule)
	app := host + "/team/app:1"
	if out, err := tryTool(t, crane, "append", "--insecure", "-f", writeLayerTar(t, "app.bin", 64<<10), "-t", app); err == nil {
		t.Fatalf("anonymous crane push succeeded:\n%s", out)
	}
	runTool(t, crane, "auth", "login", host, "-u", "dev", "-p", "push-pass")
	runTool(t, crane, "append", "--insecure", "-f", writeLayerTar(t, "app.bin", 64<<10), "-t", app)
	appDigest := strings.TrimSpace(runTool(t, crane, "digest", "--insecure", app))
	refs := map[string]string{host + "/library/alpine:latest": alpine.manifest.String(), app: appDigest}

	for ref, want := range refs {
		if got := strings.TrimSpace(runTool(t, crane, "digest", "--insecure", ref)); got != want {
			t.Errorf("anonymous crane digest %s = %s, want %s", ref, got, want)
		}
		runTool(t, crane, "validate", "--insecure", "--remote", ref)
		runTool(t, "skopeo", "copy", "--src-tls-verify=false", "docker://"+ref, "dir:"+t.TempDir())
	}

	ctrd := startContainerd(t, filepath.Join(shortTempDir(t, "e2e-ctr-"), "c"))
	for ref := range refs {
		if out, err := ctrd.ctr(t, pullTimeout, "images", "pull", "--plain-http", "--snapshotter", "native", ref); err != nil {
			t.Fatalf("anonymous ctr pull %s: %v\n%s", ref, err, out)
		}
	}
	digests := ctrd.imageDigests(t)
	for ref, want := range refs {
		if digests[ref] != want {
			t.Errorf("ctr images ls: %s is %q, want %s", ref, digests[ref], want)
		}
	}
	if n := hub.RequestsFor("team/app"); n != 0 {
		t.Errorf("%d requests for the hosted image reached the hub", n)
	}
}
