package main

import (
	"fmt"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

func cachePruneCommand() *cli.Command {
	return &cli.Command{
		Name:  "prune",
		Usage: "evict least recently used content until the cache fits SIZE",
		Flags: append([]cli.Flag{
			dataDirFlag(),
			&cli.StringFlag{Name: "max-size", Required: true, Usage: "what the cache must fit in, e.g. 20GiB (0 empties it, pins aside)"},
		}, pinFlags()...),
		Action: cachePrune,
	}
}

func cachePrune(c *cli.Context) (err error) {
	size, err := cache.ParseSize(c.String("max-size"))
	if err != nil {
		return fmt.Errorf("--max-size: %w", err)
	}
	pins, err := pinsFromFlags(c)
	if err != nil {
		return err
	}
	s, err := openCache(c, cache.Options{Pins: pins})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	got, err := s.EvictTo(size)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "evicted %d blobs (%s); %d blobs (%s) remain\n",
		got.Blobs, humanize.IBytes(uint64(got.Bytes)), s.Entries(), humanize.IBytes(uint64(s.Used())))
	if s.Used() > size {
		fmt.Fprintf(c.App.Writer, "the rest is pinned: %s over %s\n", humanize.IBytes(uint64(s.Used()-size)), humanize.IBytes(uint64(size)))
	}
	return nil
}
