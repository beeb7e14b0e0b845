package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hubmirror/hubmirror/internal/haproxytest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

const (
	// clusterCfg is the deployed HAProxy config itself, not a copy.
	clusterCfg = "../deploy/haproxy/haproxy.cfg"
	// clusterUpTimeout bounds HAProxy's checks turning a server UP or
	// DOWN: rise 2 / fall 2 at inter 1s take two to three seconds.
	clusterUpTimeout = 20 * time.Second
	// clusterHosted is the pattern of haproxy.cfg's hosted ACL.
	clusterHosted = "team/*"
)

// cluster is three hubmirror replicas behind the real HAProxy.
type cluster struct {
	replicas []*hubmirror
	args     []string
	lb       *haproxytest.Balancer
	host     string // the balancer's host:port, as a client names it
}

// startCluster starts the replicas, each with args and the settings a
// replica behind HAProxy takes, and HAProxy with deploy/haproxy/haproxy.cfg,
// and returns once HAProxy sees every replica up.
func startCluster(t *testing.T, args ...string) *cluster {
	t.Helper()
	return startClusterWith(t, clusterCfg, args...)
}

// startClusterWith is startCluster with HAProxy reading cfg.
func startClusterWith(t *testing.T, cfg string, args ...string) *cluster {
	t.Helper()
	requireTools(t, "haproxy")
	c := &cluster{args: append([]string{"--trusted-proxy", "127.0.0.0/8", "--hosted", clusterHosted}, args...)}
	var addrs []string
	for range haproxytest.Replicas {
		h := runHubmirror(t, t.TempDir(), c.args...)
		c.replicas = append(c.replicas, h)
		addrs = append(addrs, strings.TrimPrefix(h.URL, "http://"))
	}
	lb, err := haproxytest.Start(haproxytest.Starter(starter(t)), cfg, addrs)
	if err != nil {
		t.Fatal(err)
	}
	c.lb, c.host = lb, strings.TrimPrefix(lb.URL, "http://")
	c.waitStatus(t, "UP", 0, 1, 2)
	return c
}

func (c *cluster) waitStatus(t *testing.T, status string, replicas ...int) {
	t.Helper()
	var names []string
	for _, i := range replicas {
		names = append(names, haproxytest.ServerNames()[i])
	}
	if err := c.lb.WaitStatus(clusterUpTimeout, status, names...); err != nil {
		t.Fatal(err)
	}
}

// kill ends replica i with SIGKILL, as a crashed machine would.
func (c *cluster) kill(t *testing.T, i int) {
	t.Helper()
	h := c.replicas[i]
	h.proc.Signal(syscall.SIGKILL)
	<-h.proc.Done()
	h.stopped = true
}

// restart starts replica i again on its address and data dir.
func (c *cluster) restart(t *testing.T, i int) {
	t.Helper()
	old := c.replicas[i]
	h, err := tryHubmirrorAt(t, buildHubmirror(t), strings.TrimPrefix(old.URL, "http://"), old.DataDir, c.args)
	if err != nil {
		t.Fatal(err)
	}
	c.replicas[i] = h
}

// settledHolders is holders once every blob is on some replica: a fill
// commits its file just after its last byte went out, so the pull that
// caused it may finish a moment before.
func (c *cluster) settledHolders(t *testing.T, blobs []v1.Hash) map[v1.Hash][]int {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		held := c.holders(blobs)
		if len(held) == len(blobs) {
			return held
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d blobs on any replica 10 s after the pulls", len(held), len(blobs))
		}
		time.Sleep(pollInterval)
	}
}

// holders says which replicas hold each blob in their data dir.
func (c *cluster) holders(blobs []v1.Hash) map[v1.Hash][]int {
	out := map[v1.Hash][]int{}
	for _, b := range blobs {
		for i, h := range c.replicas {
			if _, err := os.Stat(filepath.Join(h.DataDir, "blobs", b.Algorithm, b.Hex[:2], b.Hex)); err == nil {
				out[b] = append(out[b], i)
			}
		}
	}
	return out
}

// pulledCluster is a fake hub of clusterImages images sharing a base, a
// cluster in front of it with args, and the first pull of every image by
// clusterClients clients at once through HAProxy.
func pulledCluster(t *testing.T, args ...string) (*upstreamtest.Hub, []clusterImage, *cluster) {
	t.Helper()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	imgs := addSharedBaseImages(t, hub, clusterImages)
	c := startCluster(t, append([]string{"--upstream", hub.URL}, args...)...)
	if err := pullEvery(c.host, imgs, clusterClients); err != nil {
		t.Fatalf("first pulls through HAProxy: %v", err)
	}
	return hub, imgs, c
}

// clusterImage is one image on the fake hub, as a client must get it.
type clusterImage struct {
	repo string
	want pushed
}

func (ci clusterImage) ref(host string) string { return host + "/" + ci.repo + ":latest" }

// addSharedBaseImages stores n images sharing a base layer on hub.
func addSharedBaseImages(t *testing.T, hub *upstreamtest.Hub, n int) []clusterImage {
	t.Helper()
	imgs, err := upstreamtest.ImagesSharingBase(n, 3, 32<<10)
	if err != nil {
		t.Fatal(err)
	}
	var out []clusterImage
	for i, img := range imgs {
		repo := fmt.Sprintf("library/app%d", i)
		out = append(out, clusterImage{repo: repo, want: pushed{
			manifest: hub.AddImage(repo, "latest", img),
			config:   configDigestOf(t, img),
			layers:   layerDigests(t, img),
		}})
	}
	return out
}

// distinctBlobs is every config and layer of imgs, each once.
func distinctBlobs(imgs []clusterImage) []v1.Hash {
	seen := map[v1.Hash]bool{}
	var out []v1.Hash
	for _, ci := range imgs {
		for _, b := range ci.want.blobs() {
			if !seen[b] {
				seen[b] = true
				out = append(out, b)
			}
		}
	}
	return out
}

// clusterTransport is shared by every client of a test, as one node's
// kubelet shares its connections.
var clusterTransport = &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second}

// pullImage pulls ci through host as crane does (go-containerregistry),
// reading every blob, and checks each digest against the pushed image.
func pullImage(host string, ci clusterImage) error {
	ref, err := name.ParseReference(ci.ref(host), name.Insecure)
	if err != nil {
		return err
	}
	img, err := remote.Image(ref, remote.WithTransport(clusterTransport))
	if err != nil {
		return fmt.Errorf("%s: %w", ci.repo, err)
	}
	if d, err := img.Digest(); err != nil || d != ci.want.manifest {
		return fmt.Errorf("%s: manifest %v (%v), want %s", ci.repo, d, err, ci.want.manifest)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("%s config: %w", ci.repo, err)
	}
	if d := sha256.Sum256(cfg); "sha256:"+hex.EncodeToString(d[:]) != ci.want.config.String() {
		return fmt.Errorf("%s: config digest wrong", ci.repo)
	}
	layers, err := img.Layers()
	if err != nil || len(layers) != len(ci.want.layers) {
		return fmt.Errorf("%s: %d layers (%v), want %d", ci.repo, len(layers), err, len(ci.want.layers))
	}
	for i, l := range layers {
		if err := readLayer(l, ci.want.layers[i]); err != nil {
			return fmt.Errorf("%s layer %d: %w", ci.repo, i, err)
		}
	}
	return nil
}

func readLayer(l v1.Layer, want v1.Hash) error {
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return err
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != want.String() {
		return fmt.Errorf("digest %s, want %s", got, want)
	}
	return nil
}

// pullEvery pulls every image with clients concurrent clients each, all at
// once, and returns every failure.
func pullEvery(host string, imgs []clusterImage, clients int) error {
	var wg sync.WaitGroup
	errs := make(chan error, len(imgs)*clients)
	for _, ci := range imgs {
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs <- pullImage(host, ci)
			}()
		}
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}
