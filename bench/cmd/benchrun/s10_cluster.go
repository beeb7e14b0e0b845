package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/internal/haproxytest"
)

const (
	singleName  = "1 replica"
	clusterName = "3 replicas + HAProxy"
)

// clusterResult is scenario 10 for one setup.
type clusterResult struct {
	cold          float64   // wall s of the cold pull by every client at once
	upstreamBytes int64     // CDN body bytes that pull cost
	warm          []float64 // aggregate MB/s of each warm round
}

// clusterPulls is scenario 10: the same cold then warm "cluster pull"
// (every client pulls one of the images, all at once) through one fresh
// replica and through three fresh replicas behind HAProxy with
// deploy/haproxy/haproxy.cfg. The warm rounds alternate between the two.
func (b *bench) clusterPulls() {
	imgs := b.hub.ClusterImages
	if len(imgs) == 0 {
		b.res.problem("scenario 10: fakehub seeded no cluster images")
		return
	}
	setups, err := b.startClusterSetups()
	if err != nil {
		b.res.problem("scenario 10: %v", err)
		return
	}
	res := map[string]*clusterResult{}
	for _, s := range setups {
		r, err := b.coldClusterPull(s, imgs)
		if err != nil {
			b.res.problem("scenario 10: %s cold: %v", s.name, err)
			return
		}
		res[s.name] = r
	}
	for round := range b.cfg.repeat {
		for _, s := range setups {
			mbps, err := clusterPullMBps(b.ctx, s.url, imgs, b.cfg.clusterClients)
			if err != nil {
				b.res.problem("scenario 10: %s warm round %d: %v", s.name, round+1, err)
				return
			}
			res[s.name].warm = append(res[s.name].warm, mbps)
			logf("scenario 10: %-22s warm round %d: %.0f MB/s (load %s)", s.name, round+1, mbps, loadAverage())
		}
	}
	b.res.setCluster(res, loadAverage())
}

// startClusterSetups starts one replica, then three more and HAProxy in
// front of them, each on a fresh data dir.
func (b *bench) startClusterSetups() ([]*system, error) {
	bin := filepath.Join(b.cfg.binDir, "hubmirror")
	single, err := startReplica(b.ps, bin, "single", b.hub.URL)
	if err != nil {
		return nil, err
	}
	var addrs []string
	for i := range haproxytest.Replicas {
		r, err := startReplica(b.ps, bin, fmt.Sprintf("replica%d", i+1), b.hub.URL, "--trusted-proxy", "127.0.0.0/8")
		if err != nil {
			return nil, err
		}
		addrs = append(addrs, strings.TrimPrefix(r.url, "http://"))
	}
	lb, err := haproxytest.Start(b.ps.start, b.cfg.haproxyCfg, addrs)
	if err != nil {
		return nil, err
	}
	if err := lb.WaitStatus(readyTimeout, "UP", haproxytest.ServerNames()...); err != nil {
		return nil, err
	}
	return []*system{
		{name: singleName, url: single.url, proc: single.proc},
		{name: clusterName, url: lb.URL, proc: lb.Proc},
	}, nil
}

func (b *bench) coldClusterPull(s *system, imgs []hubinfo.Image) (*clusterResult, error) {
	if err := b.hub.reset(); err != nil {
		return nil, err
	}
	start := time.Now()
	if _, err := clusterPull(b.ctx, s.url, imgs, b.cfg.clusterClients); err != nil {
		return nil, err
	}
	r := &clusterResult{cold: time.Since(start).Seconds()}
	c, err := b.hub.counts()
	if err != nil {
		return nil, err
	}
	r.upstreamBytes = c.CDNBytes
	logf("scenario 10: %-22s cold %.2fs, upstream %.2f× the distinct blobs (load %s)", s.name, r.cold,
		float64(r.upstreamBytes)/float64(b.hub.ClusterBytes), loadAverage())
	return r, nil
}

// clusterPullMBps is one warm round: the bytes every client received over
// the wall of the whole round.
func clusterPullMBps(ctx context.Context, base string, imgs []hubinfo.Image, clients int) (float64, error) {
	start := time.Now()
	n, err := clusterPull(ctx, base, imgs, clients)
	return float64(n) / 1e6 / time.Since(start).Seconds(), err
}

// clusterPull starts every client at once, client i pulling image i mod
// len(imgs), and returns the bytes received.
func clusterPull(ctx context.Context, base string, imgs []hubinfo.Image, clients int) (int64, error) {
	var wg sync.WaitGroup
	got := make([]int64, clients)
	errs := make([]error, clients)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i], errs[i] = pullBlobs(ctx, base, imgs[i%len(imgs)])
		}()
	}
	wg.Wait()
	var total int64
	for _, n := range got {
		total += n
	}
	return total, firstError(errs)
}

// pullBlobs is what docker does for an image it lacks: the manifest by
// tag, then the config and every layer, here one after another.
func pullBlobs(ctx context.Context, base string, img hubinfo.Image) (int64, error) {
	if _, _, err := getJSON(ctx, base+"/v2/"+img.Repo+"/manifests/"+img.Tag, "Accept", dockerAccept); err != nil {
		return 0, err
	}
	var total int64
	for _, d := range img.Blobs {
		f, err := fetch(ctx, blobURL(base, img.Repo, d), nil, nil)
		if err != nil {
			return total, err
		}
		total += f.bytes
	}
	return total, nil
}
