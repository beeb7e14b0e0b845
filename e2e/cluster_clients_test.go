package e2e

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// A push to a hosted repository through HAProxy: every request of the
// upload session follows the Location the replica sent (relative, so the
// client resolves it against HAProxy), all of it lands on one replica,
// and a pull through HAProxy gets the image back.
func TestClusterHostedPushThroughHAProxy(t *testing.T) {
	t.Parallel()
	c := startCluster(t, "--offline")
	img := randomImage(t)
	ref, err := name.ParseReference(c.host+"/team/app:1.4", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img, remote.WithContext(context.Background()), remote.WithTransport(clusterTransport)); err != nil {
		t.Fatalf("push through HAProxy: %v", err)
	}
	got, err := remote.Image(ref, remote.WithTransport(clusterTransport))
	if err != nil {
		t.Fatalf("pull of the pushed image through HAProxy: %v", err)
	}
	want, _ := img.Digest()
	if d, _ := got.Digest(); d != want {
		t.Errorf("pulled %s, pushed %s", d, want)
	}
	layers, err := got.Layers()
	if err != nil {
		t.Fatal(err)
	}
	blobs := []v1.Hash{configDigestOf(t, img), want}
	for i, l := range layers {
		d, _ := l.Digest()
		blobs = append(blobs, d)
		if err := readLayer(l, d); err != nil {
			t.Errorf("layer %d: %v", i, err)
		}
	}
	held := c.settledHolders(t, blobs)
	owner := held[want]
	for _, b := range blobs {
		if len(held[b]) != 1 || held[b][0] != owner[0] {
			t.Errorf("pushed blob %s is on replicas %v; want all of the push on the manifest's replica %v", b, held[b], owner)
		}
	}
}

// Real clients through the cluster: dockerd with registry-mirrors set to
// HAProxy pulls a Docker Hub image, and containerd, told by hosts.toml to
// use HAProxy for two registries, pulls from each with ?ns=, every image
// from its own registry.
func TestClusterServesDockerdAndContainerd(t *testing.T) {
	t.Parallel()
	regs := newTwoRegistries(t)
	c := startCluster(t, "--config", regs.config)
	lb := c.lb.URL

	t.Run("dockerd", func(t *testing.T) {
		requireDockerd(t)
		d := startDockerd(t, lb)
		if out, err := d.Pull(t, "alpine:latest"); err != nil {
			t.Fatalf("docker pull through HAProxy: %v\n%s", err, out)
		}
		assertPulled(t, d, "alpine:latest", regs.alpine.manifest, regs.alpine.config)
		assertServedBy(t, regs.hub, regs.alpine, regs.ghcr, regs.ghcrAlp)
	})
	t.Run("containerd", func(t *testing.T) {
		requireRoot(t)
		requireTools(t, "containerd", "ctr")
		ctrd := startContainerd(t, filepath.Join(shortTempDir(t, "e2e-ctr-"), "c"))
		hosts := writeHostsDir(t, lb, "docker.io", "ghcr.io")
		for _, tc := range []registryCase{regs.toolCase(), regs.alpineCase()} {
			if out, err := ctrd.ctr(t, pullTimeout, "images", "pull", "--snapshotter", "native", "--hosts-dir", hosts, tc.ref); err != nil {
				t.Fatalf("ctr pull %s through HAProxy: %v\n%s", tc.ref, err, out)
			}
			assertServedBy(t, tc.own, tc.want, tc.other, tc.decoyOnOther)
			if got := ctrd.imageDigests(t)[tc.ref]; got != tc.want.manifest.String() {
				t.Errorf("ctr images ls: %s is %q, want %s", tc.ref, got, tc.want.manifest)
			}
		}
	})
}
