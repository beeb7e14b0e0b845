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
	"syscall"
	"time"

	"golang.org/x/sync/errgroup"
)

// shutdownGrace is how long in-flight streams may finish after SIGTERM.
const shutdownGrace = 30 * time.Second

// listener is one address served, and how.
type listener struct {
	addr, cert, key string
	handler         http.Handler
}

func (l listener) serve(srv *http.Server, ln net.Listener) error {
	if l.cert != "" || l.key != "" {
		return srv.ServeTLS(ln, l.cert, l.key) // HTTP/2 comes with TLS
	}
	return srv.Serve(ln)
}

// run serves every listener until SIGINT or SIGTERM, then stops accepting
// and lets in-flight requests (a layer half sent) finish, up to a grace
// period. One server failing stops them all.
func run(ctx context.Context, log *slog.Logger, listeners ...listener) error {
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
			if err := l.serve(srv, ln); !errors.Is(err, http.ErrServerClosed) {
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

func newLogger(level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, err
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", format)
}
