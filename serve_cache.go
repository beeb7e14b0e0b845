package main

import (
	"log/slog"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

// cacheFlags are the serve flags that shape the cache.
func cacheFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "data-dir", Value: "data", EnvVars: env("DATA_DIR"), Usage: "where the cache and its index live"},
	}
}

// openStore opens the cache as the flags describe it.
func openStore(c *cli.Context, log *slog.Logger) (*cache.Store, error) {
	return cache.Open(c.String("data-dir"), log)
}
