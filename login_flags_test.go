package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/metrics"
)

// --anonymous-pull comes from the flag, HUBMIRROR_ANONYMOUS_PULL and the
// config file, and is refused without --htpasswd, where it would mean
// nothing: everything is open already.
func TestAnonymousPullFlag(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("anonymous-pull: true\n"), 0o600)
	for _, args := range [][]string{{"--anonymous-pull"}, {"--config", cfg}} {
		runServeFlags(t, args, func(c *cli.Context) error {
			if !c.Bool("anonymous-pull") {
				t.Errorf("%v: anonymous-pull not set", args)
			}
			_, err := newMirror(c, nil, metrics.Discard(), slog.New(slog.DiscardHandler))
			if err == nil || !strings.Contains(err.Error(), "--htpasswd") {
				t.Errorf("%v without --htpasswd: %v, want a refusal naming --htpasswd", args, err)
			}
			return nil
		})
	}
	t.Setenv("HUBMIRROR_ANONYMOUS_PULL", "true")
	runServeFlags(t, nil, func(c *cli.Context) error {
		if !c.Bool("anonymous-pull") {
			t.Error("HUBMIRROR_ANONYMOUS_PULL=true: anonymous-pull not set")
		}
		return nil
	})
}
