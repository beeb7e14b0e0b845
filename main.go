// Command hubmirror is a pull-through caching mirror for container registries.
package main

import (
	"fmt"
	"os"
	"runtime/debug"

	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/prefetch"
)

func main() {
	app := &cli.App{
		Name:  "hubmirror",
		Usage: "a pull-through caching mirror for Docker Hub and other registries",
		Commands: []*cli.Command{
			serveCommand(),
			prefetchCommand(),
			cacheCommand(),
			{
				Name:  "version",
				Usage: "print the version",
				Action: func(*cli.Context) error {
					fmt.Println("hubmirror", version())
					return nil
				},
			},
		},
	}
	if err := app.Run(os.Args); err != nil {
		fmt.Fprintln(os.Stderr, "hubmirror:", err)
		os.Exit(1)
	}
}

// env names the variable a flag falls back to; no package reads the
// environment itself.
func env(name string) []string { return []string{"HUBMIRROR_" + name} }

// buildVersion is set by the linker (-ldflags "-X main.buildVersion=…") in
// release builds.
var buildVersion string

func version() string {
	if buildVersion != "" {
		return buildVersion
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "dev"
}

func prefetchCommand() *cli.Command {
	return &cli.Command{
		Name:      "prefetch",
		Usage:     "warm a running mirror's cache: pull images' manifests and blobs through it",
		ArgsUsage: "IMAGE...",
		Description: `IMAGE is written as for docker pull: alpine, alpine:3.20, user/app@sha256:…,
ghcr.io/owner/tool:1.0 (registries other than Docker Hub must be configured
upstreams of the mirror). Every platform of a multi-platform image is
fetched unless --platform picks one. Bytes are read and discarded here:
the point is that the mirror now has them.`,
		Flags:  prefetchFlags(),
		Action: prefetchImages,
	}
}

func prefetchImages(c *cli.Context) error {
	return prefetch.Run(c.Context, prefetch.Options{
		Mirror:    c.String("mirror"),
		Images:    c.Args().Slice(),
		FromFile:  c.String("from-file"),
		Stdin:     c.App.Reader,
		Platform:  c.String("platform"),
		Jobs:      c.Int("jobs"),
		UserAgent: "hubmirror-prefetch/" + version(),
		Out:       c.App.Writer,
	})
}
