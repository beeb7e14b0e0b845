package main

import (
	"log/slog"
	"path/filepath"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/metrics"
)

// The fill flags build a mirror; sizes are parsed like --cache-max-size;
// the deprecated --fill-timeout is still accepted (deploy files and
// scripts may pass it), only ignored.
func TestServeFillFlags(t *testing.T) {
	build := func(args ...string) error {
		var err error
		runServeFlags(t, append([]string{"--data-dir", filepath.Join(t.TempDir(), "data")}, args...), func(c *cli.Context) error {
			store, serr := openStore(c, nil)
			if serr != nil {
				return serr
			}
			defer store.Close()
			_, err = newMirror(c, store, metrics.Discard(), slog.New(slog.DiscardHandler))
			return nil
		})
		return err
	}
	if err := build("--fill-parallelism", "8", "--fill-piece-size", "8MiB", "--fill-piece-threshold", "64MiB",
		"--fill-idle-timeout", "10m", "--fill-timeout", "1h", "--cache-partial-max-age", "1h"); err != nil {
		t.Fatalf("fill flags: %v", err)
	}
	for _, bad := range [][]string{{"--fill-piece-size", "lots"}, {"--fill-piece-threshold", "-1"}} {
		if err := build(bad...); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
