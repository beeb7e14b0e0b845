// Command fakehub runs upstreamtest's fake Docker Hub as a process of its
// own, so benchmarks can put any registry (hubmirror, the distribution
// registry in proxy mode, a plain client) in front of the same upstream.
//
// It seeds large random blobs, the e2e image set and a repository of small
// tagged images, writes where it listens and what it holds as JSON (see
// bench/internal/hubinfo), and serves its counters on a control listener
// until SIGINT or SIGTERM. Everything binds to 127.0.0.1.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

type config struct {
	link      hubinfo.Link
	blobSizes []int64
	exportDir string
	tags      int
	farImages int
	out       string
	// cluster: images sharing a base layer, and the size of every layer
	clusterImages int
	clusterLayer  int64
}

func main() {
	cfg, err := parseFlags(os.Args[1:])
	if err == nil {
		err = run(cfg)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "fakehub:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string) (config, error) {
	fs := flag.NewFlagSet("fakehub", flag.ContinueOnError)
	bw := fs.String("bandwidth", "0", "cap on each CDN response (one connection), e.g. 20MB (per second); 0 = unlimited")
	linkBW := fs.String("link-bandwidth", "0", "cap shared by all CDN responses at once, e.g. 200MB (per second); 0 = unlimited")
	sizes := fs.String("blob-size", "", "comma-separated sizes of random blobs to seed, e.g. 1GiB,512MiB")
	var cfg config
	fs.DurationVar(&cfg.link.RTT, "rtt", 0, "round trip paid before every response, and once more per new connection, e.g. 100ms")
	fs.StringVar(&cfg.exportDir, "export", "", "also write each --blob-size blob to this directory, named by digest hex")
	fs.IntVar(&cfg.tags, "tags", 100, "tags of small images to seed in bench/tagged")
	fs.IntVar(&cfg.farImages, "far-images", 0, fmt.Sprintf("images of %d small layers to seed as bench/far<N>:latest", farLayers))
	fs.IntVar(&cfg.clusterImages, "cluster-images", 0, fmt.Sprintf("images sharing one base layer (then %d own layers each) to seed as bench/cluster<N>:latest", clusterOwnLayers))
	clusterLayer := fs.String("cluster-layer", "8MiB", "size of each --cluster-images layer")
	fs.StringVar(&cfg.out, "out", "", "write the JSON description here instead of stdout")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	var err error
	if cfg.link.Bandwidth, err = hubinfo.ParseSize(*bw); err != nil {
		return config{}, fmt.Errorf("--bandwidth: %w", err)
	}
	if cfg.link.LinkBandwidth, err = hubinfo.ParseSize(*linkBW); err != nil {
		return config{}, fmt.Errorf("--link-bandwidth: %w", err)
	}
	if cfg.blobSizes, err = hubinfo.ParseSizes(*sizes); err != nil {
		return config{}, fmt.Errorf("--blob-size: %w", err)
	}
	if cfg.clusterLayer, err = hubinfo.ParseSize(*clusterLayer); err != nil {
		return config{}, fmt.Errorf("--cluster-layer: %w", err)
	}
	return cfg, nil
}

func run(cfg config) error {
	hub, err := upstreamtest.Start(upstreamtest.Options{
		Bandwidth: cfg.link.Bandwidth, LinkBandwidth: cfg.link.LinkBandwidth, RTT: cfg.link.RTT,
	})
	if err != nil {
		return err
	}
	defer hub.Close()
	info, err := seed(hub, cfg)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctl, err := serveControl(ctx, hub, info)
	if err != nil {
		return err
	}
	info.Control = ctl
	if err := writeInfo(cfg.out, info); err != nil {
		return err
	}
	<-ctx.Done()
	return nil
}

// writeInfo publishes info atomically: the driver polls for the file and
// must never read half of it.
func writeInfo(path string, info hubinfo.Info) error {
	b, err := json.MarshalIndent(info, "", "  ")
	if err != nil {
		return err
	}
	if path == "" {
		_, err = os.Stdout.Write(append(b, '\n'))
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
