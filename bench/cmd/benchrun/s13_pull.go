package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// clusterJobs is how many blobs one node fetches at once:
// go-containerregistry's default (remote.WithJobs), so each node pulls as
// crane does.
const clusterJobs = 4

// node is one machine of the cluster: connections of its own, as the
// containerd or crane of another host has, kept alive between requests.
type node struct{ http *http.Client }

func newNodes(n int) []*node {
	nodes := make([]*node, n)
	for i := range nodes {
		nodes[i] = &node{http: &http.Client{Transport: &http.Transport{
			Proxy: nil, MaxIdleConnsPerHost: clusterJobs, DisableCompression: true,
		}}}
	}
	return nodes
}

func (n *node) close() { n.http.CloseIdleConnections() }

// descriptor is what a manifest says of one blob.
type descriptor struct {
	Digest string
	Size   int64
}

type imageManifest struct {
	Config descriptor
	Layers []descriptor
}

// blobs are what a client fetches after the manifest, config first.
func (m imageManifest) blobs() []descriptor { return append([]descriptor{m.Config}, m.Layers...) }

// pullRound is one pull of every node: its wall (first request → last
// byte of the last node), what the nodes received, and the distinct blobs
// the images reference.
type pullRound struct {
	wall     time.Duration
	bytes    int64
	distinct map[string]int64 // digest → size
}

func (p pullRound) distinctBytes() int64 {
	var n int64
	for _, size := range p.distinct {
		n += size
	}
	return n
}

// runClusterPull has node i pull image i mod len(imgs), all at once: the
// nodes are split across the images, as the nodes of a cluster each start
// the pods of one service.
func runClusterPull(ctx context.Context, base string, nodes []*node, imgs []hubinfo.Image) (pullRound, error) {
	manifests := make([]imageManifest, len(nodes))
	errs := make([]error, len(nodes))
	var received atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for i, n := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			img := imgs[i%len(imgs)]
			manifests[i], errs[i] = n.pull(ctx, base, img.Repo, img.Tag, &received)
		}()
	}
	wg.Wait()
	r := pullRound{wall: time.Since(start), bytes: received.Load(), distinct: map[string]int64{}}
	for _, m := range manifests {
		for _, d := range m.blobs() {
			r.distinct[d.Digest] = d.Size
		}
	}
	delete(r.distinct, "") // a node that failed before its manifest
	return r, firstError(errs)
}

// pull fetches repo:tag's manifest, then its config and layers clusterJobs
// at a time, each checked against its digest; received counts every body
// byte.
func (n *node) pull(ctx context.Context, base, repo, tag string, received *atomic.Int64) (imageManifest, error) {
	var m imageManifest
	body, err := n.manifest(ctx, fmt.Sprintf("%s/v2/%s/manifests/%s", base, repo, tag))
	if err != nil {
		return m, err
	}
	received.Add(int64(len(body)))
	if err := json.Unmarshal(body, &m); err != nil || m.Config.Digest == "" {
		return imageManifest{}, fmt.Errorf("%s:%s: not a single-platform manifest (%v)", repo, tag, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(clusterJobs)
	for _, d := range m.blobs() {
		g.Go(func() error { return n.blob(gctx, blobURL(base, repo, d.Digest), d, received) })
	}
	return m, g.Wait()
}

func (n *node) manifest(ctx context.Context, url string) ([]byte, error) {
	resp, cancel, err := n.get(ctx, url, dockerAccept)
	if err != nil {
		return nil, err
	}
	defer cancel()
	defer resp.Body.Close()
	return io.ReadAll(io.LimitReader(resp.Body, 4<<20))
}

// blob reads one blob to the end and checks its size and sha256, as crane
// does before it keeps a layer: a mirror's speed means nothing if the
// bytes are wrong.
func (n *node) blob(ctx context.Context, url string, d descriptor, received *atomic.Int64) error {
	resp, cancel, err := n.get(ctx, url, "")
	if err != nil {
		return err
	}
	defer cancel()
	defer resp.Body.Close()
	h := sha256.New()
	got, err := io.CopyBuffer(h, resp.Body, make([]byte, 256<<10))
	received.Add(got)
	switch {
	case err != nil:
		return fmt.Errorf("%s: %w", url, err)
	case got != d.Size:
		return fmt.Errorf("%s: got %d bytes, want %d", url, got, d.Size)
	case "sha256:"+hex.EncodeToString(h.Sum(nil)) != d.Digest:
		return fmt.Errorf("%s: body does not match its digest", url)
	}
	return nil
}

// get sends a GET bounded by fetchTimeout and wants 200; the caller closes
// the body, then calls cancel.
func (n *node) get(ctx context.Context, url, accept string) (*http.Response, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := n.http.Do(req)
	if err != nil {
		cancel()
		return nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		cancel()
		return nil, nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp, cancel, nil
}
