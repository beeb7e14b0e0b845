package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
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
		json.NewEncoder(w).Encode(counts(hub, info.Blobs))
	})
	mux.HandleFunc("POST /_reset", func(w http.ResponseWriter, r *http.Request) {
		hub.Reset()
		w.WriteHeader(http.StatusNoContent)
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	context.AfterFunc(ctx, func() { srv.Close() })
	return "http://" + ln.Addr().String(), nil
}

func counts(hub *upstreamtest.Hub, blobs []hubinfo.Blob) hubinfo.Counts {
	c := hub.Counts()
	out := hubinfo.Counts{
		ManifestGets: c.ManifestGets, ManifestHeads: c.ManifestHeads,
		BlobGets: c.BlobGets, CDNGets: c.CDNGets, CDNBytes: c.CDNBytes,
		Tokens: c.Tokens, Pings: c.Pings, PerBlob: map[string]int64{},
	}
	for _, b := range blobs {
		if d, err := v1.NewHash(b.Digest); err == nil {
			out.PerBlob[b.Digest] = hub.BlobGetsFor(d)
		}
	}
	return out
}
