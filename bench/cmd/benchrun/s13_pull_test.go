package main

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// clusterRegistry serves images sharing a base from go-containerregistry's
// registry on loopback, wrapped by wrap; it returns the base URL, the
// images as scenario 13 names them, and their distinct blob bytes.
func clusterRegistry(t *testing.T, n int, wrap func(http.Handler) http.Handler) (string, []hubinfo.Image, int64) {
	t.Helper()
	srv := httptest.NewServer(wrap(registry.New(registry.Logger(log.New(io.Discard, "", 0)))))
	t.Cleanup(srv.Close)
	imgs, err := upstreamtest.ImagesSharingBase(n, 2, 4<<10)
	if err != nil {
		t.Fatal(err)
	}
	var out []hubinfo.Image
	distinct := map[v1.Hash]int64{}
	for i, img := range imgs {
		repo := fmt.Sprintf("bench/cluster%d", i)
		ref, err := name.ParseReference(strings.TrimPrefix(srv.URL, "http://")+"/"+repo+":latest", name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
			distinct[d.Digest] = d.Size
		}
		out = append(out, hubinfo.Image{Repo: repo, Tag: "latest"})
	}
	var total int64
	for _, size := range distinct {
		total += size
	}
	return srv.URL, out, total
}

func same(h http.Handler) http.Handler { return h }

// Every node gets its image, each blob checked, and the round knows the
// distinct blobs (the base once) that upstream bytes are compared with.
func TestClusterPullSplitsNodesAcrossImages(t *testing.T) {
	url, imgs, distinct := clusterRegistry(t, 3, same)
	nodes := newNodes(7)
	round, err := runClusterPull(context.Background(), url, nodes, imgs)
	if err != nil {
		t.Fatal(err)
	}
	if got := round.distinctBytes(); got != distinct {
		t.Errorf("distinct bytes %d, want %d", got, distinct)
	}
	// 3 images × (config + base + 2 own layers), the base shared: 10 blobs.
	if len(round.distinct) != 10 {
		t.Errorf("%d distinct blobs, want 10", len(round.distinct))
	}
	// Nodes 0,3,6 pull image 0; 1,4 image 1; 2,5 image 2: more than the
	// distinct bytes, as every node receives its own copy.
	if round.bytes <= 2*distinct {
		t.Errorf("7 nodes received %d bytes, want more than twice the %d distinct", round.bytes, distinct)
	}
}

// A blob whose bytes do not match its digest fails the pull, as it fails
// crane's: a fast mirror that serves wrong bytes must not score.
func TestClusterPullRejectsCorruptBlob(t *testing.T) {
	corrupt := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.Contains(r.URL.Path, "/blobs/") {
				w = &flipFirst{ResponseWriter: w}
			}
			h.ServeHTTP(w, r)
		})
	}
	url, imgs, _ := clusterRegistry(t, 1, corrupt)
	_, err := runClusterPull(context.Background(), url, newNodes(1), imgs)
	if err == nil || !strings.Contains(err.Error(), "does not match its digest") {
		t.Fatalf("pull of corrupt blobs: %v, want a digest mismatch", err)
	}
}

// flipFirst changes the first byte of the body it writes.
type flipFirst struct {
	http.ResponseWriter
	done bool
}

func (f *flipFirst) Write(p []byte) (int, error) {
	if !f.done && len(p) > 0 {
		f.done = true
		q := append([]byte(nil), p...)
		q[0] ^= 0xff
		return f.ResponseWriter.Write(q)
	}
	return f.ResponseWriter.Write(p)
}
