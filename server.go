package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/hubmirror/hubmirror/mirror"
)

// shutdownGrace is how long in-flight streams may finish after SIGTERM.
const shutdownGrace = 30 * time.Second

// listener is one address served, and how.
type listener struct {
	addr, cert, key string
	handler         http.Handler
}

func (l listener) serveOn(srv *http.Server, ln net.Listener) error {
	if l.cert != "" || l.key != "" {
		return srv.ServeTLS(ln, l.cert, l.key) // HTTP/2 comes with TLS
	}
	return srv.Serve(ln)
}

// runServers serves every listener until SIGINT or SIGTERM, then stops
// accepting and lets in-flight requests (a layer half sent) finish, up to
// a grace period. One server failing stops them all.
func runServers(ctx context.Context, log *slog.Logger, listeners ...listener) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	g, ctx := errgroup.WithContext(ctx)
	for _, l := range listeners {
		ln, err := net.Listen("tcp", l.addr)
		if err != nil {
			return fmt.Errorf("listen %s: %w", l.addr, err)
		}
		srv := newServer(l.handler)
		g.Go(func() error {
			log.Info("listening", "addr", ln.Addr().String(), "tls", l.cert != "")
			if err := l.serveOn(srv, ln); !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		})
		g.Go(func() error { return shutdownOnDone(ctx, srv, log) })
	}
	return g.Wait()
}

func shutdownOnDone(ctx context.Context, srv *http.Server, log *slog.Logger) error {
	<-ctx.Done()
	log.Info("shutting down", "grace", shutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	return srv.Shutdown(sctx)
}

// newServer bounds what a client can hold open without sending anything,
// but sets no write timeout: a large layer to a slow client takes minutes.
func newServer(h http.Handler) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
}

// opsHandler serves what operators and orchestrators poll. It never asks
// for client credentials, so probes and Prometheus need none.
func opsHandler(m *mirror.Mirror, reg *prometheus.Registry) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", mirror.Healthz)
	mux.HandleFunc("GET /readyz", m.Readyz)
	return mux
}

// routes puts the registry API, the ops endpoints and the status page on
// one listener. Everything under /v2 goes to the API untouched: ServeMux
// would clean "/v2/a/../b" and redirect, where a registry client must get
// an OCI error.
func routes(api, ops http.Handler, m *mirror.Mirror) http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/metrics", ops)
	mux.Handle("/healthz", ops)
	mux.Handle("/readyz", ops)
	mux.Handle("GET /{$}", m.StatusPage())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v2" || strings.HasPrefix(r.URL.Path, "/v2/") {
			api.ServeHTTP(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}
