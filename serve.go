package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
)

func serveCommand() *cli.Command {
	flags := fileBacked(append(upstreamFlags(), cacheFlags()...))
	return &cli.Command{
		Name:   "serve",
		Usage:  "serve the registry API, filling the cache from upstream",
		Flags:  flags,
		Before: loadFromConfigFile(flags),
		Action: serve,
	}
}

func upstreamFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "listen", Value: ":5000", EnvVars: env("LISTEN"), Usage: "address to serve the registry API on"},
		&cli.StringFlag{Name: "upstream", Value: "https://registry-1.docker.io", EnvVars: env("UPSTREAM"), Usage: "URL of the registry to mirror (Docker Hub by default)"},
		&cli.StringFlag{Name: "upstream-username", EnvVars: env("UPSTREAM_USERNAME"), Usage: "upstream account, for higher rate limits and private repositories"},
		&cli.StringFlag{Name: "upstream-password", EnvVars: env("UPSTREAM_PASSWORD"), Usage: "upstream password or access token (prefer the env var: flags show in ps)"},
		&cli.BoolFlag{Name: "upstream-allow-private", EnvVars: env("UPSTREAM_ALLOW_PRIVATE"), Usage: "let upstream send the mirror to token realms and blob redirects on private IP addresses (a LAN registry)"},
		&cli.StringSliceFlag{Name: "upstream-realm-host", EnvVars: env("UPSTREAM_REALM_HOST"), Usage: "token realm host, off the upstream's own domain, that may receive its credentials"},
		&cli.DurationFlag{Name: "tag-ttl", Value: 5 * time.Minute, EnvVars: env("TAG_TTL"), Usage: "how long a tag is served from cache before asking upstream again"},
		&cli.DurationFlag{Name: "tag-stale-while-revalidate", EnvVars: env("TAG_STALE_WHILE_REVALIDATE"), Usage: "after the TTL, serve a tag at once for this long while revalidating it in the background"},
		&cli.BoolFlag{Name: "offline", EnvVars: env("OFFLINE"), Usage: "never contact upstream; serve only what is cached"},
		&cli.DurationFlag{Name: "upstream-stall-timeout", Value: 30 * time.Second, EnvVars: env("UPSTREAM_STALL_TIMEOUT"), Usage: "a blob download that sends nothing this long is resumed"},
		&cli.DurationFlag{Name: "fill-timeout", Value: time.Hour, EnvVars: env("FILL_TIMEOUT"), Usage: "longest one upstream blob download may take"},
		&cli.IntFlag{Name: "max-concurrent-fills", Value: 32, EnvVars: env("MAX_CONCURRENT_FILLS"), Usage: "upstream blob downloads at once; more wait their turn"},
		&cli.StringFlag{Name: "htpasswd", EnvVars: env("HTPASSWD"), Usage: "bcrypt htpasswd file: clients must log in (docker login)"},
		&cli.StringFlag{Name: "tls-cert", EnvVars: env("TLS_CERT"), Usage: "serve HTTPS (and HTTP/2) with this certificate"},
		&cli.StringFlag{Name: "tls-key", EnvVars: env("TLS_KEY"), Usage: "the certificate's private key"},
		&cli.StringFlag{Name: "metrics-listen", EnvVars: env("METRICS_LISTEN"), Usage: "serve /metrics, /healthz and /readyz on this address too (default: only on --listen)"},
		&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: env("LOG_LEVEL"), Usage: "debug, info, warn or error"},
		&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: env("LOG_FORMAT"), Usage: "text or json"},
	}
}

func env(name string) []string { return []string{"HUBMIRROR_" + name} }

func serve(c *cli.Context) error {
	log, err := newLogger(c.String("log-level"), c.String("log-format"))
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
	regs, err := registries(c, met, log)
	if err != nil {
		return err
	}
	var users *mirror.Htpasswd
	if path := c.String("htpasswd"); path != "" {
		if users, err = mirror.LoadHtpasswd(path); err != nil {
			return err
		}
	}
	m, err := mirror.New(mirror.Options{
		Store:                store,
		Registries:           regs,
		TagTTL:               c.Duration("tag-ttl"),
		StaleWhileRevalidate: c.Duration("tag-stale-while-revalidate"),
		Offline:              c.Bool("offline"),
		FillTimeout:          c.Duration("fill-timeout"),
		MaxConcurrentFills:   c.Int("max-concurrent-fills"),
		Metrics:              met,
		Log:                  log,
		Users:                users,
	})
	if err != nil {
		return err
	}
	api := m.Handler()
	ops := opsHandler(m, reg)
	main := listener{addr: c.String("listen"), cert: c.String("tls-cert"), key: c.String("tls-key"), handler: routes(api, ops, m, reg)}
	listeners := []listener{main}
	if addr := c.String("metrics-listen"); addr != "" {
		listeners = append(listeners, listener{addr: addr, handler: ops})
	}
	return run(c.Context, log, listeners...)
}

// registries builds one upstream client per configured registry.
func registries(c *cli.Context, met *metrics.Metrics, log *slog.Logger) ([]mirror.Registry, error) {
	list, err := upstreams(c)
	if err != nil {
		return nil, err
	}
	var regs []mirror.Registry
	for _, u := range list {
		up, err := upstream.New(upstream.Options{
			URL:                  u.URL,
			Username:             u.Username,
			Password:             u.Password,
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
