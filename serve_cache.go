package main

import (
	"fmt"
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

// cacheFlags are the serve flags that shape the cache.
func cacheFlags() []cli.Flag {
	return append([]cli.Flag{
		dataDirFlag(),
		&cli.StringFlag{Name: "cache-max-size", Value: "0", EnvVars: env("CACHE_MAX_SIZE"), Usage: "cap on cached content, e.g. 50GiB or 500MB; least recently used content is evicted down to 90% of it (0: unbounded)"},
	}, pinFlags()...)
}

func dataDirFlag() cli.Flag {
	return &cli.StringFlag{Name: "data-dir", Value: "data", EnvVars: env("DATA_DIR"), Usage: "where the cache and its index live"}
}

func pinFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringSliceFlag{Name: "pin", EnvVars: env("PIN"), Usage: "image never evicted, with its manifests, configs and layers, e.g. alpine:3.20 (repeatable; comma-separated in the env var)"},
		&cli.StringFlag{Name: "pin-file", EnvVars: env("PIN_FILE"), Usage: "file of images to pin, one per line, # starts a comment"},
	}
}

// openStore opens the cache as the flags describe it.
func openStore(c *cli.Context, log *slog.Logger) (*cache.Store, error) {
	size, err := cache.ParseSize(c.String("cache-max-size"))
	if err != nil {
		return nil, fmt.Errorf("--cache-max-size: %w", err)
	}
	pins, err := pinsFromFlags(c)
	if err != nil {
		return nil, err
	}
	s, err := cache.OpenWithOptions(c.String("data-dir"), cache.Options{MaxSize: size, Pins: pins, Log: log})
	if err != nil {
		return nil, inUse(c.String("data-dir"), err)
	}
	if log != nil {
		log.Info("cache opened", "dir", s.Dir(), "blobs", s.Entries(), "bytes", s.Used(), "cap", size, "pins", len(pins))
	}
	return s, nil
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
