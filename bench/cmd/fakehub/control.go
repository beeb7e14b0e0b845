package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// serveControl starts the driver's window into the hub, on a listener of
// its own so that nothing a registry under test sends can reach it:
//
//	GET  /_counts   the counters, with CDN GETs of every seeded large blob
//	POST /_reset    zero the counters before a measured phase
//	PUT  /_link     set the far-link knobs from a JSON hubinfo.Link, so one
//	                hub serves both the loopback and the far-link scenarios
//
// It returns the base URL and stops when ctx ends.
func serveControl(ctx context.Context, hub *upstreamtest.Hub, info hubinfo.Info) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /_counts", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(counts(hub, info.Blobs, imageBlobs(info.ClusterImages)))
	})
	mux.HandleFunc("POST /_reset", func(w http.ResponseWriter, r *http.Request) {
		hub.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("PUT /_link", func(w http.ResponseWriter, r *http.Request) {
		var l hubinfo.Link
		if err := json.NewDecoder(r.Body).Decode(&l); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		hub.SetBandwidth(l.Bandwidth)
		hub.SetLinkBandwidth(l.LinkBandwidth)
		hub.SetRTT(l.RTT)
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	context.AfterFunc(ctx, func() { srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

// counts reads the hub's counters, with the CDN's view of every seeded
// large blob and of the digests in more.
func counts(hub *upstreamtest.Hub, blobs []hubinfo.Blob, more []string) hubinfo.Counts {
	c := hub.Counts()
	out := hubinfo.Counts{
		ManifestGets: c.ManifestGets, ManifestHeads: c.ManifestHeads,
		BlobGets: c.BlobGets, BlobHeads: c.BlobHeads, CDNGets: c.CDNGets, CDNBytes: c.CDNBytes,
		Tokens: c.Tokens, Pings: c.Pings,
		RegistryConns: c.RegistryConns, TokenConns: c.TokenConns, CDNConns: c.CDNConns, RoundTrips: c.RoundTrips,
		PerBlob: map[string]int64{}, BlobStats: map[string]hubinfo.BlobStats{},
	}
	digests := slices.Clone(more)
	for _, b := range blobs {
		digests = append(digests, b.Digest)
	}
	for _, digest := range digests {
		if d, err := v1.NewHash(digest); err == nil {
			out.PerBlob[digest] = hub.BlobGetsFor(d)
			s := hub.BlobStats(d)
			out.BlobStats[digest] = hubinfo.BlobStats{
				RangedGets: s.RangedGets, Bytes: s.Bytes, MaxActive: s.MaxActive,
			}
		}
	}
	return out
}

// imageBlobs are the digests of the images' blobs, each once.
func imageBlobs(imgs []hubinfo.Image) []string {
	var out []string
	for _, img := range imgs {
		for _, d := range img.Blobs {
			if !slices.Contains(out, d) {
				out = append(out, d)
			}
		}
	}
	return out
}
