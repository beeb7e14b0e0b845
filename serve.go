package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/internal/logbuf"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
)

func serveCommand() *cli.Command {
	flags := serveFlags()
	return &cli.Command{
		Name:   "serve",
		Usage:  "serve the registry API, filling the cache from upstream",
		Flags:  flags,
		Before: loadFromConfigFile(flags),
		Action: serve,
	}
}

// serve wires the store, the upstream clients and the mirror together
// and runs the listeners until a signal stops them.
func serve(c *cli.Context) error {
	sink := logbuf.New(os.Stderr, c.Duration("log-flush-interval"))
	defer sink.Close() // before main prints the error that ended serve
	log, access, err := newLogger(c.String("log-level"), c.String("log-format"), sink, c.Duration("log-flush-interval"))
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	met := metrics.New(reg)
	store, err := openStore(c, log)
	if err != nil {
		return err
	}
	defer store.Close()
	met.WatchCache(store)
	m, err := newMirror(c, store, met, log, access)
	if err != nil {
		return err
	}
	plan := drainPlan{drain: m.Drain, delay: c.Duration("shutdown-delay")}
	return runServers(c.Context, log, plan, listenersFromFlags(c, m.Handler(), m, reg)...)
}

// newLogger writes to sink; with a flush interval, sink batches the info
// lines (one write(2) per access line cost ~18% of warm manifest req/s)
// and writes warnings and errors at once. The access lines, in the same
// format, level and flushing, go through the mirror's own AccessLog.
func newLogger(level, format string, sink *logbuf.Writer, interval time.Duration) (*slog.Logger, *mirror.AccessLog, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, nil, err
	}
	opts := &slog.HandlerOptions{Level: l}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(sink, opts)
	case "json":
		h = slog.NewJSONHandler(sink, opts)
	default:
		return nil, nil, fmt.Errorf("log format %q: want text or json", format)
	}
	urgent := slog.LevelWarn
	if interval <= 0 {
		urgent = slog.LevelDebug // every line at once, as asked
	}
	access := &mirror.AccessLog{W: sink, JSON: format == "json", Level: l, Flush: sink.Flush, Urgent: urgent}
	return slog.New(logbuf.Urgent(h, sink, urgent)), access, nil
}

// openStore opens the cache as the flags describe it.
func openStore(c *cli.Context, log *slog.Logger) (*cache.Store, error) {
	size, err := cache.ParseSize(c.String("cache-max-size"))
	if err != nil {
		return nil, fmt.Errorf("--cache-max-size: %w", err)
	}
	minFree, err := cache.ParseSize(c.String("cache-min-free"))
	if err != nil {
		return nil, fmt.Errorf("--cache-min-free: %w", err)
	}
	pins, err := pinsFromFlags(c)
	if err != nil {
		return nil, err
	}
	s, err := cache.OpenWithOptions(c.String("data-dir"), cache.Options{MaxSize: size, Pins: pins, Log: log,
		HostedGrace: c.Duration("hosted-gc-grace"), PartialMaxAge: c.Duration("cache-partial-max-age"), MinFree: minFree})
	if err != nil {
		return nil, inUse(c.String("data-dir"), err)
	}
	if log != nil {
		log.Info("cache opened", "dir", s.Dir(), "blobs", s.Entries(), "bytes", s.Used(), "cap", size, "pins", len(pins))
	}
	return s, nil
}

func newMirror(c *cli.Context, store *cache.Store, met *metrics.Metrics, log *slog.Logger, access *mirror.AccessLog) (*mirror.Mirror, error) {
	regs, err := registries(c, met, log)
	if err != nil {
		return nil, err
	}
	users, err := clientLogins(c.String("htpasswd"))
	if err != nil {
		return nil, err
	}
	if users == nil && c.Bool("anonymous-pull") {
		return nil, errors.New("--anonymous-pull opens reads of a mirror guarded by --htpasswd; without --htpasswd everything is open already")
	}
	tokenKey, err := tokenKey(c)
	if err != nil {
		return nil, err
	}
	hosted, err := hostedOptions(c)
	if err != nil {
		return nil, err
	}
	fill, err := fillOptions(c, log)
	if err != nil {
		return nil, err
	}
	proxies, err := mirror.ParseTrustedProxies(c.StringSlice("trusted-proxy"))
	if err != nil {
		return nil, fmt.Errorf("--trusted-proxy: %w", err)
	}
	return mirror.New(mirror.Options{
		Store:                store,
		Registries:           regs,
		TagTTL:               c.Duration("tag-ttl"),
		StaleWhileRevalidate: c.Duration("tag-stale-while-revalidate"),
		NegativeTTL:          c.Duration("negative-ttl"),
		Offline:              c.Bool("offline"),
		FillIdleTimeout:      fill.FillIdleTimeout,
		FillParallelism:      fill.FillParallelism,
		FillPieceSize:        fill.FillPieceSize,
		FillPieceThreshold:   fill.FillPieceThreshold,
		MaxConcurrentFills:   c.Int("max-concurrent-fills"),
		Metrics:              met,
		Log:                  log,
		AccessLog:            access,
		Users:                users,
		AnonymousPull:        c.Bool("anonymous-pull"),
		TokenKey:             tokenKey,
		Hosted:               hosted.Hosted,
		HostedMaxSize:        hosted.HostedMaxSize,
		MaxUploads:           hosted.MaxUploads,
		MaxUploadSize:        hosted.MaxUploadSize,
		UploadIdle:           hosted.UploadIdle,
		TrustedProxies:       proxies,
	})
}

// fillOptions reads the fill flags into the Options fields they set.
func fillOptions(c *cli.Context, log *slog.Logger) (mirror.Options, error) {
	pieceSize, err := cache.ParseSize(c.String("fill-piece-size"))
	if err != nil {
		return mirror.Options{}, fmt.Errorf("--fill-piece-size: %w", err)
	}
	pieceThreshold, err := cache.ParseSize(c.String("fill-piece-threshold"))
	if err != nil {
		return mirror.Options{}, fmt.Errorf("--fill-piece-threshold: %w", err)
	}
	if c.IsSet("fill-timeout") && log != nil {
		log.Warn("--fill-timeout is deprecated and ignored: a download ends only when it makes no progress for --fill-idle-timeout")
	}
	return mirror.Options{
		FillIdleTimeout:    c.Duration("fill-idle-timeout"),
		FillParallelism:    c.Int("fill-parallelism"),
		FillPieceSize:      pieceSize,
		FillPieceThreshold: pieceThreshold,
	}, nil
}

// hostedOptions reads the hosted flags into the Options fields they set.
func hostedOptions(c *cli.Context) (mirror.Options, error) {
	quota, err := cache.ParseSize(c.String("hosted-max-size"))
	if err != nil {
		return mirror.Options{}, fmt.Errorf("--hosted-max-size: %w", err)
	}
	maxUpload, err := cache.ParseSize(c.String("max-upload-size"))
	if err != nil {
		return mirror.Options{}, fmt.Errorf("--max-upload-size: %w", err)
	}
	var patterns []string
	for _, p := range c.StringSlice("hosted") {
		if p = strings.TrimSpace(p); p != "" {
			patterns = append(patterns, p)
		}
	}
	return mirror.Options{Hosted: patterns, HostedMaxSize: quota, MaxUploads: c.Int("max-uploads"),
		MaxUploadSize: maxUpload, UploadIdle: c.Duration("upload-idle-timeout")}, nil
}

// tokenKey reads the key file that lets replicas accept each other's
// --anonymous-pull tokens; none given leaves the mirror its own key.
func tokenKey(c *cli.Context) ([]byte, error) {
	path := c.String("token-key-file")
	if path == "" {
		return nil, nil
	}
	if !c.Bool("anonymous-pull") {
		return nil, errors.New("--token-key-file signs the tokens of --anonymous-pull; without it the mirror issues none")
	}
	key, err := mirror.LoadTokenKey(path)
	if err != nil {
		return nil, fmt.Errorf("--token-key-file: %w", err)
	}
	return key, nil
}

// clientLogins reads the htpasswd file clients must log in with; none
// given means the API is open.
func clientLogins(path string) (*mirror.Htpasswd, error) {
	if path == "" {
		return nil, nil
	}
	return mirror.LoadHtpasswd(path)
}

// registries builds one upstream client per configured registry.
func registries(c *cli.Context, met *metrics.Metrics, log *slog.Logger) ([]mirror.Registry, error) {
	list, err := upstreams(c)
	if err != nil {
		return nil, err
	}
	var regs []mirror.Registry
	for _, u := range list {
		creds, err := credentials(u, log.With("upstream", u.Host))
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u.Host, err)
		}
		up, err := upstream.New(upstream.Options{
			URL:                  u.URL,
			Registry:             u.Host,
			Credentials:          creds,
			RealmHosts:           u.RealmHosts,
			AllowPrivateNetworks: u.AllowPrivate,
			StallTimeout:         c.Duration("upstream-stall-timeout"),
			UserAgent:            "hubmirror/" + version(),
			Observer:             met.Upstream(u.Host),
			Log:                  log.With("upstream", u.Host),
		})
		if err != nil {
			return nil, fmt.Errorf("upstream %s: %w", u.Host, err)
		}
		regs = append(regs, mirror.Registry{Host: u.Host, Upstream: up, Allow: u.Allow})
		log.Info("mirroring", "registry", u.Host, "url", u.URL, "authenticated", u.Username != "")
	}
	return regs, nil
}

// credentials is the account an upstream logs in with: one that follows
// its password file as a secret manager rotates it, else the fixed one.
func credentials(u upstreamConfig, log *slog.Logger) (upstream.Credentials, error) {
	if u.PasswordFile != "" && u.Username != "" {
		return upstream.PasswordFile(u.Username, u.PasswordFile, log)
	}
	return upstream.Account{Username: u.Username, Password: u.Password}, nil
}

// listenersFromFlags are the API listener, which also answers the ops
// endpoints and the status page, and the optional ops-only one.
func listenersFromFlags(c *cli.Context, api http.Handler, m *mirror.Mirror, reg *prometheus.Registry) []listener {
	ops := opsHandler(m, reg)
	apiListener := listener{addr: c.String("listen"), cert: c.String("tls-cert"), key: c.String("tls-key"), handler: routes(api, ops, m)}
	all := []listener{apiListener}
	if addr := c.String("metrics-listen"); addr != "" {
		all = append(all, listener{addr: addr, handler: ops})
	}
	return all
}
