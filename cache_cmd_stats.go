package main

import (
	"encoding/json"
	"fmt"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

func cacheStatsCommand() *cli.Command {
	return &cli.Command{
		Name:  "stats",
		Usage: "count cached blobs, bytes, tags and repositories",
		Flags: []cli.Flag{
			dataDirFlag(),
			&cli.StringFlag{Name: "max-size", Usage: "show usage against this cap (the server's --cache-max-size)"},
			&cli.BoolFlag{Name: "json", Usage: "print JSON"},
		},
		Action: cacheStats,
	}
}

func cacheStats(c *cli.Context) (err error) {
	var maxSize int64
	if v := c.String("max-size"); v != "" {
		if maxSize, err = cache.ParseSize(v); err != nil {
			return fmt.Errorf("--max-size: %w", err)
		}
	}
	s, err := openCache(c, cache.Options{MaxSize: maxSize})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	st, err := s.Stats()
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return json.NewEncoder(c.App.Writer).Encode(st)
	}
	w := c.App.Writer
	fmt.Fprintf(w, "blobs:        %d\n", st.Entries)
	fmt.Fprintf(w, "bytes:        %s (%d)\n", humanize.IBytes(uint64(st.Bytes)), st.Bytes)
	if st.MaxSize > 0 {
		fmt.Fprintf(w, "cap:          %s (%.1f%% used)\n", humanize.IBytes(uint64(st.MaxSize)), 100*float64(st.Bytes)/float64(st.MaxSize))
	}
	fmt.Fprintf(w, "tags:         %d\n", st.Tags)
	_, err = fmt.Fprintf(w, "repositories: %d\n", st.Repos)
	return err
}
