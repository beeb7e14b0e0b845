package e2e

import (
	"path/filepath"
	"strings"
	"testing"
)

// A containerd node (what Kubernetes runs) mirrors Docker Hub and ghcr.io
// through one hubmirror with a hosts.toml per registry. containerd tells the
// mirror which registry it means with ?ns=; each image must come from its
// own registry, not from the other one that holds the same name.
func TestContainerdPullsEachRegistryThroughMirror(t *testing.T) {
	requireRoot(t)
	requireTools(t, "containerd", "ctr")
	t.Parallel()
	regs := newTwoRegistries(t)
	mirror := startHubmirror(t, "--config", regs.config)
	ctrd := startContainerd(t, filepath.Join(shortTempDir(t, "e2e-ctr-"), "c"))
	hosts := writeHostsDir(t, mirror, "docker.io", "ghcr.io")

	cases := []registryCase{regs.alpineCase(), regs.toolCase()}
	for _, tc := range cases {
		// native: overlayfs cannot mount on the overlay filesystems that
		// CI containers often run on.
		out, err := ctrd.ctr(t, pullTimeout, "images", "pull", "--snapshotter", "native", "--hosts-dir", hosts, tc.ref)
		if err != nil {
			t.Fatalf("pull %s through the mirror: %v", tc.ref, err)
		}
		t.Logf("ctr images pull %s: %s", tc.ref, lastLine(out))
		assertServedBy(t, tc.own, tc.want, tc.other, tc.decoyOnOther)
	}

	digests := ctrd.imageDigests(t)
	for _, tc := range cases {
		if got := digests[tc.ref]; got != tc.want.manifest.String() {
			t.Errorf("ctr images ls: %s is %q, want %s (the other registry's is %s)", tc.ref, got, tc.want.manifest, tc.decoyOnOther.manifest)
		}
	}
}

// lastLine is the last non-empty line of a command's output, where ctr and
// docker print their summary.
func lastLine(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}
