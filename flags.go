package main

import (
	"fmt"
	"time"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/internal/logbuf"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
)

// configFlag names the optional YAML file. Its top-level keys are the flag
// names (listen: ":5000"), plus the upstreams list; flags and environment
// variables win over the file.
var configFlag = &cli.StringFlag{Name: "config", EnvVars: env("CONFIG"), Usage: "YAML config file (see config.example.yaml)"}

// serveFlags are the flags of `hubmirror serve`, --config first; each can
// also be set in the config file.
func serveFlags() []cli.Flag {
	return fileBacked(append(append(mirrorFlags(), storeFlags()...), hostedFlags()...))
}

// hostedFlags shape the repositories the team pushes to.
func hostedFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "hosted", EnvVars: env("HOSTED"), Usage: "repositories pushed to and served from local storage only, never upstream: a path.Match pattern on the name as in the request path, e.g. team/* (repeatable; comma-separated in the env var; hosted: list in the config file)"},
		&cli.StringFlag{Name: "hosted-max-size", Value: "0", EnvVars: env("HOSTED_MAX_SIZE"), Usage: "cap on hosted content, e.g. 100GiB; a push past it is refused with DENIED (0: unbounded). Hosted content is never evicted and not counted in --cache-max-size"},
		&cli.DurationFlag{Name: "hosted-gc-grace", Value: cache.DefaultHostedGrace, EnvVars: env("HOSTED_GC_GRACE"), Usage: "how long a pushed blob no manifest refers to yet is kept before garbage collection reclaims it"},
		&cli.IntFlag{Name: "max-uploads", Value: mirror.DefaultMaxUploads, EnvVars: env("MAX_UPLOADS"), Usage: "blob upload sessions open at once; more are answered 429"},
		&cli.StringFlag{Name: "max-upload-size", Value: humanize.IBytes(mirror.DefaultMaxUploadSize), EnvVars: env("MAX_UPLOAD_SIZE"), Usage: "largest blob one upload may push"},
		&cli.DurationFlag{Name: "upload-idle-timeout", Value: mirror.DefaultUploadIdle, EnvVars: env("UPLOAD_IDLE_TIMEOUT"), Usage: "an upload session no request used this long is ended and its bytes discarded"},
	}
}

// mirrorFlags shape the server, its upstreams and its logs.
func mirrorFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "listen", Value: ":5000", EnvVars: env("LISTEN"), Usage: "address to serve the registry API on"},
		&cli.StringFlag{Name: "upstream", Value: "https://registry-1.docker.io", EnvVars: env("UPSTREAM"), Usage: "URL of the registry to mirror (Docker Hub by default)"},
		&cli.StringFlag{Name: "upstream-username", EnvVars: env("UPSTREAM_USERNAME"), Usage: "upstream account, for higher rate limits and private repositories"},
		&cli.StringFlag{Name: "upstream-password", EnvVars: env("UPSTREAM_PASSWORD"), Usage: "upstream password or access token (prefer the env var: flags show in ps)"},
		&cli.BoolFlag{Name: "upstream-allow-private", EnvVars: env("UPSTREAM_ALLOW_PRIVATE"), Usage: "let upstream send the mirror to token realms and blob redirects on private IP addresses (a LAN registry)"},
		&cli.StringSliceFlag{Name: "upstream-realm-host", EnvVars: env("UPSTREAM_REALM_HOST"), Usage: "token realm host, off the upstream's own domain, that may receive its credentials"},
		&cli.DurationFlag{Name: "tag-ttl", Value: 5 * time.Minute, EnvVars: env("TAG_TTL"), Usage: "how long a tag is served from cache before asking upstream again"},
		&cli.DurationFlag{Name: "tag-stale-while-revalidate", EnvVars: env("TAG_STALE_WHILE_REVALIDATE"), Usage: "after the TTL, serve a tag at once for this long while revalidating it in the background"},
		&cli.DurationFlag{Name: "negative-ttl", Value: mirror.DefaultNegativeTTL, EnvVars: env("NEGATIVE_TTL"), Usage: "how long upstream's \"not found\" for a tag or repository is answered without asking again (0: never remembered)"},
		&cli.BoolFlag{Name: "offline", EnvVars: env("OFFLINE"), Usage: "never contact upstream; serve only what is cached"},
		&cli.DurationFlag{Name: "upstream-stall-timeout", Value: upstream.DefaultStallTimeout, EnvVars: env("UPSTREAM_STALL_TIMEOUT"), Usage: "a blob download that sends nothing this long is resumed"},
		&cli.DurationFlag{Name: "fill-idle-timeout", Value: mirror.DefaultFillIdleTimeout, EnvVars: env("FILL_IDLE_TIMEOUT"), Usage: "a blob download that writes nothing this long fails (its pieces are kept for the next try); no limit cuts one that moves"},
		&cli.DurationFlag{Name: "fill-timeout", EnvVars: env("FILL_TIMEOUT"), Usage: "deprecated and ignored: downloads end on --fill-idle-timeout, never on a total time"},
		&cli.IntFlag{Name: "fill-parallelism", Value: mirror.DefaultFillParallelism, EnvVars: env("FILL_PARALLELISM"), Usage: "pieces of a large blob fetched at once from an upstream that honours Range (1: one stream per blob)"},
		&cli.StringFlag{Name: "fill-piece-size", Value: humanize.IBytes(mirror.DefaultFillPieceSize), EnvVars: env("FILL_PIECE_SIZE"), Usage: "size of one piece of a large blob"},
		&cli.StringFlag{Name: "fill-piece-threshold", Value: humanize.IBytes(mirror.DefaultFillPieceThreshold), EnvVars: env("FILL_PIECE_THRESHOLD"), Usage: "smallest blob fetched in pieces; smaller ones come in one request"},
		&cli.DurationFlag{Name: "cache-partial-max-age", Value: cache.DefaultPartialMaxAge, EnvVars: env("CACHE_PARTIAL_MAX_AGE"), Usage: "how long the pieces of a failed or interrupted download are kept for the next try"},
		&cli.IntFlag{Name: "max-concurrent-fills", Value: mirror.DefaultMaxConcurrentFills, EnvVars: env("MAX_CONCURRENT_FILLS"), Usage: "upstream blob downloads at once; more wait their turn"},
		&cli.StringFlag{Name: "htpasswd", EnvVars: env("HTPASSWD"), Usage: "bcrypt htpasswd file: clients must log in (docker login)"},
		&cli.BoolFlag{Name: "anonymous-pull", EnvVars: env("ANONYMOUS_PULL"), Usage: "with --htpasswd: anyone may pull, only pushes and deletes need a login"},
		&cli.StringFlag{Name: "token-key-file", EnvVars: env("TOKEN_KEY_FILE"), Usage: "with --anonymous-pull: file of at least 32 random bytes (head -c 32 /dev/urandom) that signs the login tokens; replicas sharing it accept each other's, and they survive restarts (default: a key made at start)"},
		&cli.StringFlag{Name: "tls-cert", EnvVars: env("TLS_CERT"), Usage: "serve HTTPS (and HTTP/2) with this certificate"},
		&cli.StringFlag{Name: "tls-key", EnvVars: env("TLS_KEY"), Usage: "the certificate's private key"},
		&cli.StringFlag{Name: "metrics-listen", EnvVars: env("METRICS_LISTEN"), Usage: "serve /metrics, /healthz and /readyz on this address too (default: only on --listen)"},
		&cli.DurationFlag{Name: "shutdown-delay", Value: defaultShutdownDelay, EnvVars: env("SHUTDOWN_DELAY"), Usage: "after SIGTERM, answer /readyz 503 and keep serving this long before closing, so a load balancer's health checks move the traffic first (a second signal cuts it short; 0: close at once)"},
		&cli.StringSliceFlag{Name: "trusted-proxy", EnvVars: env("TRUSTED_PROXY"), Usage: "CIDR of a load balancer whose X-Forwarded-For (access log client), X-Forwarded-Proto and -Host (token realm URL) are believed, e.g. 10.0.0.0/8 (repeatable; comma-separated in the env var; trusted-proxy: list in the config file)"},
		&cli.StringFlag{Name: "log-level", Value: "info", EnvVars: env("LOG_LEVEL"), Usage: "debug, info, warn or error"},
		&cli.StringFlag{Name: "log-format", Value: "text", EnvVars: env("LOG_FORMAT"), Usage: "text or json"},
		&cli.DurationFlag{Name: "log-flush-interval", Value: logbuf.DefaultInterval, EnvVars: env("LOG_FLUSH_INTERVAL"), Usage: "info lines (the access log) wait in memory up to this long and are written in batches; warnings and errors are written at once, and all at shutdown, so a crash loses at most this much of the access log (0: write every line at once)"},
	}
}

// storeFlags are the serve flags that shape the cache.
func storeFlags() []cli.Flag {
	return append([]cli.Flag{
		dataDirFlag(),
		&cli.StringFlag{Name: "cache-max-size", Value: "0", EnvVars: env("CACHE_MAX_SIZE"), Usage: "cap on cached content, e.g. 50GiB or 500MB; least recently used content is evicted down to 90% of it (0: unbounded)"},
		&cli.StringFlag{Name: "cache-min-free", Value: humanize.IBytes(cache.DefaultMinFree), EnvVars: env("CACHE_MIN_FREE"), Usage: "free space on the data dir's filesystem that downloads and pushes must leave for the index; past it they are refused with 507, after evicting cached content where that makes room"},
	}, pinFlags()...)
}

// dataDirFlag is shared by serve and every cache subcommand, so they find
// the same directory by default.
func dataDirFlag() cli.Flag {
	return &cli.StringFlag{Name: "data-dir", Value: "data", EnvVars: env("DATA_DIR"), Usage: "where the cache and its index live"}
}

// pinFlags are shared by serve and cache prune: a prune must spare what
// the server would.
func pinFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "pin", EnvVars: env("PIN"), Usage: "image never evicted, with its manifests, configs and layers, e.g. alpine:3.20 (repeatable; comma-separated in the env var)"},
		&cli.StringFlag{Name: "pin-file", EnvVars: env("PIN_FILE"), Usage: "file of images to pin, one per line, # starts a comment"},
	}
}

// pinsFromFlags gathers --pin and the --pin-file's lines.
func pinsFromFlags(c *cli.Context) ([]string, error) {
	pins := c.StringSlice("pin")
	if path := c.String("pin-file"); path != "" {
		more, err := cache.ReadPinFile(path)
		if err != nil {
			return nil, fmt.Errorf("--pin-file: %w", err)
		}
		pins = append(pins, more...)
	}
	return pins, nil
}

func cacheLsFlags() []cli.Flag {
	return []cli.Flag{
		dataDirFlag(),
		&cli.BoolFlag{Name: "json", Usage: "print one JSON document: {\"tags\": [...], \"blobs\": [...], \"hosted\": [...]}"},
	}
}

func cacheStatsFlags() []cli.Flag {
	return []cli.Flag{
		dataDirFlag(),
		&cli.StringFlag{Name: "max-size", Usage: "show usage against this cap (the server's --cache-max-size)"},
		&cli.BoolFlag{Name: "json", Usage: "print JSON"},
	}
}

func cachePruneFlags() []cli.Flag {
	return append([]cli.Flag{
		dataDirFlag(),
		&cli.StringFlag{Name: "max-size", Required: true, Usage: "what the cache must fit in, e.g. 20GiB (0 empties it, pins aside)"},
	}, pinFlags()...)
}

func cacheVerifyFlags() []cli.Flag { return []cli.Flag{dataDirFlag()} }

func cacheGCFlags() []cli.Flag {
	return []cli.Flag{
		dataDirFlag(),
		&cli.DurationFlag{Name: "hosted-gc-grace", Value: cache.DefaultHostedGrace, EnvVars: env("HOSTED_GC_GRACE"), Usage: "spare blobs pushed less than this long ago (a push may still be on its way to the manifest)"},
	}
}

func prefetchFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "mirror", Value: "http://localhost:5000", EnvVars: env("MIRROR"), Usage: "base URL of the running mirror"},
		&cli.StringFlag{Name: "from-file", Usage: "also read images from `FILE`, one per line, # starts a comment (- is stdin)"},
		&cli.StringFlag{Name: "platform", Usage: "only this platform of multi-platform images, e.g. linux/amd64 or linux/arm64/v8 (default: all)"},
		&cli.IntFlag{Name: "jobs", Value: 4, Usage: "blobs fetched at once"},
	}
}
