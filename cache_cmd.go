package main

import (
	"errors"
	"fmt"
	"log/slog"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

// cacheCommand groups the offline cache tools. They open the data dir
// themselves, so they refuse to run while a server holds it.
func cacheCommand() *cli.Command {
	return &cli.Command{
		Name:  "cache",
		Usage: "inspect and maintain the cache (while the server is stopped)",
		Subcommands: []*cli.Command{
			cacheLsCommand(),
			cacheStatsCommand(),
			cachePruneCommand(),
			cacheVerifyCommand(),
		},
	}
}

// openCache opens an existing data dir for an offline command. Problems
// found on the way in (files adopted or removed after a crash) are
// reported on stderr.
func openCache(c *cli.Context, o cache.Options) (*cache.Store, error) {
	dir := c.String("data-dir")
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("data dir: %w", err)
	}
	o.Log = slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := cache.OpenWithOptions(dir, o)
	if err != nil {
		return nil, inUse(dir, err)
	}
	return s, nil
}

// inUse turns the data dir lock into what the operator should do.
func inUse(dir string, err error) error {
	if errors.Is(err, cache.ErrInUse) {
		return fmt.Errorf("data dir %s is in use by a running hubmirror (stop it first)", dir)
	}
	return err
}

// closeCache closes s, keeping the command's own error first.
func closeCache(s *cache.Store, err *error) {
	if cerr := s.Close(); *err == nil {
		*err = cerr
	}
}
