package e2e

import (
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// tier is a parent hubmirror of twoRegistries (the fake Docker Hub and a
// fake ghcr.io, each holding the other's names with other content) and
// the config of a child whose every registry is that parent: what a site
// mirror in front of a regional one is configured with.
type tier struct {
	*twoRegistries
	parent      *hubmirror
	childConfig string
}

func newTier(t *testing.T) *tier {
	t.Helper()
	regs := newTwoRegistries(t)
	parent := runHubmirror(t, t.TempDir(), "--config", regs.config)
	return &tier{twoRegistries: regs, parent: parent, childConfig: writeConfig(t,
		upstreamEntry{Host: "docker.io", URL: parent.URL},
		upstreamEntry{Host: "ghcr.io", URL: parent.URL})}
}

func (tr *tier) startChild(t *testing.T, args ...string) *hubmirror {
	t.Helper()
	return runHubmirror(t, t.TempDir(), append([]string{"--config", tr.childConfig}, args...)...)
}

// craneDigest is the manifest digest crane resolves ref to.
func craneDigest(t *testing.T, crane, ref string) string {
	t.Helper()
	return strings.TrimSpace(runTool(t, crane, "digest", "--insecure", ref))
}

// cranePull pulls ref to a tarball and checks every layer against its digest.
func cranePull(t *testing.T, crane, ref string) {
	t.Helper()
	tar := filepath.Join(t.TempDir(), "image.tar")
	runTool(t, crane, "pull", "--insecure", ref, tar)
	runTool(t, crane, "validate", "--tarball", tar)
}

// eachBlobLeftOnce checks that each blob of p left hub exactly once,
// however many clients and tiers pulled it.
func eachBlobLeftOnce(t *testing.T, hub *upstreamtest.Hub, p pushed) {
	t.Helper()
	for b, n := range blobGets(hub, p) {
		if n != 1 {
			t.Errorf("blob %s left its registry %d times, want 1", b, n)
		}
	}
}

// crane, docker and ctr pull through a child whose upstream is a parent
// hubmirror, for Docker Hub and for ghcr.io. The child names the registry
// in ?ns=, so ghcr.io/owner/tool is ghcr.io's and never Docker Hub's
// owner/tool (which a child sending bare names got from the parent); each
// blob leaves its registry once; a second, empty child pulls it all with
// nothing reaching either registry.
func TestTiersEveryClientPullsThroughChild(t *testing.T) {
	requireRoot(t)
	requireTools(t, "containerd", "ctr")
	t.Parallel()
	tr := newTier(t)
	child := tr.startChild(t)
	host := hostOf(child.URL)
	crane := goTool(t, craneModule)
	toolRef := host + "/ghcr.io/owner/tool:1.0"

	if got := craneDigest(t, crane, toolRef); got != tr.tool.manifest.String() {
		t.Fatalf("crane: %s is %s, want ghcr.io's %s (Docker Hub's owner/tool is %s)", toolRef, got, tr.tool.manifest, tr.hubTool.manifest)
	}
	cranePull(t, crane, toolRef)

	d := startDockerd(t, child.URL) // registry-mirrors: the child
	for _, ref := range []string{"alpine:latest", toolRef} {
		if out, err := d.Pull(t, ref); err != nil {
			t.Fatalf("docker pull %s through the child: %v\n%s", ref, err, out)
		}
	}
	assertPulled(t, d, "alpine:latest", tr.alpine.manifest, tr.alpine.config)
	assertPulled(t, d, toolRef, tr.tool.manifest, tr.tool.config)

	ctrd := startContainerd(t, filepath.Join(shortTempDir(t, "e2e-tier-"), "c"))
	hosts := writeHostsDir(t, child.URL, "docker.io", "ghcr.io")
	want := map[string]pushed{"ghcr.io/owner/tool:1.0": tr.tool, "docker.io/owner/tool:1.0": tr.hubTool}
	for ref := range want {
		if out, err := ctrd.ctr(t, pullTimeout, "images", "pull", "--snapshotter", "native", "--hosts-dir", hosts, ref); err != nil {
			t.Fatalf("ctr pull %s through the child: %v\n%s", ref, err, out)
		}
	}
	digests := ctrd.imageDigests(t)
	for ref, p := range want {
		if digests[ref] != p.manifest.String() {
			t.Errorf("ctr: %s is %s, want %s", ref, digests[ref], p.manifest)
		}
	}

	assertServedBy(t, tr.hub, tr.alpine, tr.ghcr, tr.ghcrAlp)
	eachBlobLeftOnce(t, tr.ghcr, tr.tool)
	eachBlobLeftOnce(t, tr.hub, tr.hubTool)
	if n := tr.ghcr.RequestsFor("library/alpine"); n != 0 {
		t.Errorf("ghcr.io was asked %d times for library/alpine, a Docker Hub pull", n)
	}
	t.Logf("first child: ghcr.io %+v; Docker Hub %+v", tr.ghcr.Counts(), tr.hub.Counts())

	tr.hub.Reset()
	tr.ghcr.Reset()
	fresh := hostOf(tr.startChild(t).URL)
	for _, ref := range []string{fresh + "/ghcr.io/owner/tool:1.0", fresh + "/library/alpine:latest", fresh + "/owner/tool:1.0"} {
		cranePull(t, crane, ref)
	}
	for name, hub := range map[string]*upstreamtest.Hub{"Docker Hub": tr.hub, "ghcr.io": tr.ghcr} {
		if c := hub.Counts(); c.Requests+c.Tokens+c.CDNGets != 0 {
			t.Errorf("a second child's pulls reached %s: %+v", name, c)
		}
	}
}

// A HEAD of a blob the parent has not cached is 200 with its size through
// the child, and downloads nothing. With the parent down, the child keeps
// serving what it cached, by tag, stale (Warning) once its TTL is past.
func TestTiersParentOutage(t *testing.T) {
	t.Parallel()
	tr := newTier(t)
	child := tr.startChild(t, "--tag-ttl", "1s")
	crane := goTool(t, craneModule)
	toolRef := hostOf(child.URL) + "/ghcr.io/owner/tool:1.0"
	cranePull(t, crane, toolRef)

	content, extra := tr.ghcr.AddTestBlob(t, "owner/tool", 256<<10)
	resp, body := httpDo(t, http.MethodHead, child.URL+"/v2/ghcr.io/owner/tool/blobs/"+extra.String(), nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Length") != strconv.Itoa(len(content)) {
		t.Errorf("HEAD of a blob the parent has not cached: %d, Content-Length %q %s; want 200, %d", resp.StatusCode, resp.Header.Get("Content-Length"), body, len(content))
	}
	if n := tr.ghcr.BlobGetsFor(extra); n != 0 {
		t.Errorf("the HEAD downloaded the blob %d times", n)
	}

	tr.parent.Stop(t)
	waitStale(t, child.URL+"/v2/ghcr.io/owner/tool/manifests/1.0", tr.tool.manifest.String())
	cranePull(t, crane, toolRef)
}

// staleWait bounds how long a 1s TTL takes to run out.
const staleWait = 30 * time.Second

// waitStale asks for a tag until the answer carries Warning (its TTL ran
// out and upstream could not be asked); every answer on the way must be
// 200 with the cached digest.
func waitStale(t *testing.T, url, digest string) {
	t.Helper()
	deadline := time.Now().Add(staleWait)
	for {
		resp, body := httpDo(t, http.MethodGet, url, nil)
		if got := resp.Header.Get("Docker-Content-Digest"); resp.StatusCode != http.StatusOK || got != digest {
			t.Fatalf("GET %s with the parent down: %d %s %s, want 200 %s", url, resp.StatusCode, got, body, digest)
		}
		if w := resp.Header.Get("Warning"); w != "" {
			t.Logf("parent down, TTL past: 200 %s, Warning %s", digest, w)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the tag was still served as fresh", staleWait)
		}
		time.Sleep(pollInterval)
	}
}
