// Command hubmirror is a pull-through caching mirror for container registries.
package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"
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
