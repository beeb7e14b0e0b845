package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
	"github.com/urfave/cli/v2/altsrc"
	"gopkg.in/yaml.v3"
)

// upstreamConfig is one entry of the config file's upstreams list.
type upstreamConfig struct {
	Host         string   `yaml:"host"` // what clients call it: ?ns= value and path prefix
	URL          string   `yaml:"url"`
	Username     string   `yaml:"username"`
	Password     string   `yaml:"password"`
	PasswordFile string   `yaml:"password_file"`
	Allow        []string `yaml:"allow"`                  // repository patterns; empty = all
	RealmHosts   []string `yaml:"realm_hosts"`            // token realms off the registry's domain that may get credentials
	AllowPrivate bool     `yaml:"allow_private_networks"` // realms and redirects on private IPs
}

// fileBacked lets every flag also be set from the config file.
func fileBacked(flags []cli.Flag) []cli.Flag {
	out := []cli.Flag{configFlag}
	for _, f := range flags {
		out = append(out, asFileFlag(f))
	}
	return out
}

func asFileFlag(f cli.Flag) cli.Flag {
	switch f := f.(type) {
	case *cli.StringFlag:
		return altsrc.NewStringFlag(f)
	case *cli.BoolFlag:
		return altsrc.NewBoolFlag(f)
	case *cli.DurationFlag:
		return altsrc.NewDurationFlag(f)
	case *cli.IntFlag:
		return altsrc.NewIntFlag(f)
	case *cli.StringSliceFlag:
		return altsrc.NewStringSliceFlag(f)
	}
	return f
}

func loadFromConfigFile(flags []cli.Flag) cli.BeforeFunc {
	return altsrc.InitInputSourceWithContext(flags, altsrc.NewYamlSourceFromFlagFunc(configFlag.Name))
}

// upstreams returns the configured registries: the file's list, with
// Docker Hub added from the --upstream flags when the file does not list
// it, and overridden by those flags when they were set explicitly.
func upstreams(c *cli.Context) ([]upstreamConfig, error) {
	list, err := readUpstreams(c.String(configFlag.Name))
	if err != nil {
		return nil, err
	}
	hub := -1
	for i, u := range list {
		if u.Host == "docker.io" {
			hub = i
		}
	}
	if hub < 0 {
		list = append(list, upstreamConfig{Host: "docker.io"})
		hub = len(list) - 1
	}
	applyHubFlags(c, &list[hub])
	for i := range list {
		if err := list[i].resolve(); err != nil {
			return nil, err
		}
	}
	return list, nil
}

func applyHubFlags(c *cli.Context, u *upstreamConfig) {
	if u.URL == "" || c.IsSet("upstream") {
		u.URL = c.String("upstream")
	}
	if c.IsSet("upstream-username") {
		u.Username, u.Password, u.PasswordFile = c.String("upstream-username"), c.String("upstream-password"), ""
	}
	if c.IsSet("upstream-allow-private") {
		u.AllowPrivate = c.Bool("upstream-allow-private")
	}
	u.RealmHosts = append(u.RealmHosts, c.StringSlice("upstream-realm-host")...)
}

func readUpstreams(path string) ([]upstreamConfig, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var file struct {
		Upstreams []upstreamConfig `yaml:"upstreams"`
	}
	if err := yaml.Unmarshal(b, &file); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return file.Upstreams, nil
}

// resolve checks an entry and reads its password file, so a secret can
// live in a file of its own (a Kubernetes or systemd credential); the
// running mirror follows the file as it changes (see upstream.PasswordFile).
func (u *upstreamConfig) resolve() error {
	u.Host = strings.ToLower(strings.TrimSpace(u.Host))
	if u.Host == "" || u.URL == "" {
		return fmt.Errorf("upstream %q: host and url are required", u.Host)
	}
	if u.PasswordFile != "" {
		b, err := os.ReadFile(u.PasswordFile)
		if err != nil {
			return fmt.Errorf("upstream %s: %w", u.Host, err)
		}
		u.Password = strings.TrimSpace(string(b))
	}
	return nil
}
