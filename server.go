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

// defaultShutdownDelay outlasts HAProxy's `inter 1s fall 2`: two failed
// /readyz checks a second apart, plus a second for the last check in
// flight, and the balancer has stopped sending before the port closes.
const defaultShutdownDelay = 3 * time.Second

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

// drainPlan is what happens between the signal and the listeners closing:
// drain turns /readyz unready, then the servers keep serving for delay.
type drainPlan struct {
	drain func()
	delay time.Duration
}

// runServers serves every listener until SIGINT or SIGTERM, then drains
// (drainPlan), stops accepting and lets in-flight requests (a layer half
// sent) finish, up to a grace period. A second signal cuts the drain
// short. One server failing stops them all at once.
func runServers(ctx context.Context, log *slog.Logger, plan drainPlan, listeners ...listener) error {
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sig)
	g, gctx := errgroup.WithContext(ctx)
	stopping := make(chan struct{})
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
		g.Go(func() error { return shutdownOn(stopping, srv, log) })
	}
	g.Go(func() error {
		defer close(stopping)
		drainOnSignal(gctx, sig, plan, log)
		return nil
	})
	return g.Wait()
}

// drainOnSignal returns when the servers should close: after a signal and
// the drain, or at once when ctx ends (a server failed, the caller quit).
func drainOnSignal(ctx context.Context, sig <-chan os.Signal, plan drainPlan, log *slog.Logger) {
	select {
	case <-ctx.Done():
		return
	case <-sig:
	}
	if plan.drain != nil {
		plan.drain()
	}
	if plan.delay <= 0 {
		return
	}
	log.Info("draining: /readyz is unready, still serving", "for", plan.delay)
	t := time.NewTimer(plan.delay)
	defer t.Stop()
	select {
	case <-t.C:
	case <-sig:
		log.Info("second signal: drain cut short")
	case <-ctx.Done():
	}
}

func shutdownOn(stopping <-chan struct{}, srv *http.Server, log *slog.Logger) error {
	<-stopping
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
