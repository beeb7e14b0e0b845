package e2e

import (
	"context"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// orasBin is the pinned oras CLI (gotools_test.go), installed once per
// test binary through the Go module proxy.
func orasBin(t *testing.T) string {
	t.Helper()
	return goTool(t, orasModule)
}

// orasDiscover runs `oras discover` on ref and returns the digests of the
// referrers it lists, sorted. oras runs offline and with its own empty
// config dir, so nothing of the host's logins reaches it.
func orasDiscover(t *testing.T, ref string, args ...string) []string {
	t.Helper()
	home := t.TempDir()
	env := append(proctest.DropEnv(offlineEnv(), "DOCKER_CONFIG", "HOME"), "HOME="+home, "DOCKER_CONFIG="+home)
	args = append([]string{"discover", "--plain-http", "--format", "json"}, append(args, ref)...)
	out, err := proctest.Run(context.Background(), time.Minute, env, orasBin(t), args...)
	if err != nil {
		t.Fatal(err)
	}
	// oras 1.3's tree: the subject, its referrers, theirs below them.
	var tree struct {
		Referrers []struct {
			Digest string `json:"digest"`
		} `json:"referrers"`
	}
	if err := json.Unmarshal([]byte(out), &tree); err != nil {
		t.Fatalf("oras %v: output is not JSON: %v\n%s", args, err, out)
	}
	got := []string{}
	for _, m := range tree.Referrers {
		got = append(got, m.Digest)
	}
	slices.Sort(got)
	return got
}

// `oras discover` through the mirror lists a ghcr.io image's signature and
// SBOM (named by path prefix), filters by artifact type, and keeps working
// once ghcr.io is unreachable. cosign is neither packaged for the CI's
// Debian nor installed here, so oras stands for the OCI 1.1 clients.
func TestOrasDiscoverThroughMirror(t *testing.T) {
	t.Parallel()
	regs := newTwoRegistries(t)
	sig := regs.ghcr.AddReferrer("owner/tool", regs.tool.manifest, "application/vnd.dev.cosign.artifact.sig.v1+json")
	sbom := regs.ghcr.AddReferrer("owner/tool", regs.tool.manifest, "application/spdx+json")
	mirror := hostOf(startHubmirror(t, "--config", regs.config))
	ref := mirror + "/ghcr.io/owner/tool:1.0"

	if got := orasDiscover(t, ref); !slices.Equal(got, upstreamtest.SortedDigests(sig, sbom)) {
		t.Errorf("oras discover %s: %v, want %v", ref, got, upstreamtest.SortedDigests(sig, sbom))
	}
	if got := orasDiscover(t, ref, "--artifact-type", "application/spdx+json"); !slices.Equal(got, upstreamtest.SortedDigests(sbom)) {
		t.Errorf("filtered: %v, want %v", got, upstreamtest.SortedDigests(sbom))
	}
	if c := regs.hub.Counts(); repoRequests(c) != 0 {
		t.Errorf("Docker Hub asked for ghcr.io's referrers: %+v", c)
	}
	regs.ghcr.SetOffline(true)
	if got := orasDiscover(t, ref); !slices.Equal(got, upstreamtest.SortedDigests(sig, sbom)) {
		t.Errorf("ghcr.io offline: %v, want %v", got, upstreamtest.SortedDigests(sig, sbom))
	}
}

// Against a registry without the referrers API, the mirror reads the
// sha256-<hex> tag oras pushed there, and oras still sees the referrers.
func TestOrasDiscoverWhenUpstreamLacksReferrersAPI(t *testing.T) {
	t.Parallel()
	regs := newTwoRegistries(t)
	regs.hub.SetReferrersAPI(false)
	sig := regs.hub.AddReferrer("library/alpine", regs.alpine.manifest, "application/vnd.dev.cosign.artifact.sig.v1+json")
	regs.hub.PushReferrersTag("library/alpine", regs.alpine.manifest)
	mirror := hostOf(startHubmirror(t, "--config", regs.config))
	if got := orasDiscover(t, mirror+"/library/alpine:latest"); !slices.Equal(got, upstreamtest.SortedDigests(sig)) {
		t.Errorf("oras discover: %v, want %v", got, upstreamtest.SortedDigests(sig))
	}
}

// skopeo lists a ghcr.io repository's tags through the mirror, by path
// prefix, following the Link of a registry that pages its lists; every
// page comes from ghcr.io.
func TestSkopeoListTagsViaPrefixedRegistry(t *testing.T) {
	t.Parallel()
	regs := newTwoRegistries(t)
	for _, tag := range []string{"1.1", "2.0", "latest"} {
		regs.ghcr.Tag("owner/tool", tag, regs.tool.manifest)
	}
	regs.ghcr.SetDefaultTagPage(2)
	mirror := hostOf(startHubmirror(t, "--config", regs.config))
	out, err := runSkopeo(t, "list-tags", "--tls-verify=false", "docker://"+mirror+"/ghcr.io/owner/tool")
	if err != nil {
		t.Fatal(err)
	}
	var list struct{ Tags []string }
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("skopeo list-tags output: %v\n%s", err, out)
	}
	if want := []string{"1.0", "1.1", "2.0", "latest"}; !slices.Equal(list.Tags, want) {
		t.Errorf("skopeo list-tags: %v, want %v", list.Tags, want)
	}
	if c := regs.ghcr.Counts().TagLists; c != 2 {
		t.Errorf("ghcr.io tag list requests %d, want 2 pages", c)
	}
	if c := regs.hub.Counts(); repoRequests(c) != 0 {
		t.Errorf("Docker Hub asked while listing ghcr.io: %+v", c)
	}
}
