package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/urfave/cli/v2"
)

// runServeFlags parses args as `hubmirror serve` would, config file
// included, and hands the result to inspect instead of serving.
func runServeFlags(t *testing.T, args []string, inspect func(*cli.Context) error) {
	t.Helper()
	cmd := serveCommand()
	cmd.Action = inspect
	app := &cli.App{Commands: []*cli.Command{cmd}}
	if err := app.Run(append([]string{"hubmirror", "serve"}, args...)); err != nil {
		t.Fatal(err)
	}
}

func TestConfigFileListsUpstreamsAndSetsFlags(t *testing.T) {
	dir := t.TempDir()
	secret := filepath.Join(dir, "hub-password")
	os.WriteFile(secret, []byte("s3cret\n"), 0o600)
	cfg := filepath.Join(dir, "config.yaml")
	os.WriteFile(cfg, []byte(`
listen: "127.0.0.1:6000"
tag-ttl: 90s
upstreams:
  - host: docker.io
    url: https://registry-1.docker.io
    username: me
    password_file: `+secret+`
  - host: GHCR.io
    url: https://ghcr.io
    allow: ["owner/*"]
`), 0o600)

	runServeFlags(t, []string{"--config", cfg, "--tag-ttl", "2m"}, func(c *cli.Context) error {
		if got := c.String("listen"); got != "127.0.0.1:6000" {
			t.Errorf("listen from file = %q", got)
		}
		if got := c.Duration("tag-ttl"); got != 2*time.Minute {
			t.Errorf("a flag must win over the file: tag-ttl = %v", got)
		}
		list, err := upstreams(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[0].Password != "s3cret" || list[0].Username != "me" {
			t.Errorf("docker.io entry = %+v", list[0])
		}
		if list[1].Host != "ghcr.io" || len(list[1].Allow) != 1 {
			t.Errorf("ghcr.io entry = %+v", list[1])
		}
		return nil
	})
}

func TestDockerHubIsTheBuiltInDefault(t *testing.T) {
	runServeFlags(t, nil, func(c *cli.Context) error {
		list, err := upstreams(c)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Host != "docker.io" || list[0].URL != "https://registry-1.docker.io" {
			t.Errorf("default upstreams = %+v", list)
		}
		if c.String("listen") != ":5000" {
			t.Errorf("default listen = %q", c.String("listen"))
		}
		return nil
	})
}

func TestUpstreamFlagOverridesTheFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "config.yaml")
	os.WriteFile(cfg, []byte("upstreams:\n  - host: docker.io\n    url: https://hub.example\n"), 0o600)
	runServeFlags(t, []string{"--config", cfg, "--upstream", "http://127.0.0.1:9999"}, func(c *cli.Context) error {
		list, _ := upstreams(c)
		if list[0].URL != "http://127.0.0.1:9999" {
			t.Errorf("url = %q, want the flag's", list[0].URL)
		}
		return nil
	})
}
