package main

import (
	"fmt"

	"github.com/dustin/go-humanize"
	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

// cacheGCCommand runs the hosted garbage collection now, which the server
// otherwise runs in the background: after deleting manifests, an operator
// gets the space back without waiting, and a test can prove what it keeps.
func cacheGCCommand() *cli.Command {
	return &cli.Command{
		Name:  "gc",
		Usage: "reclaim hosted blobs no hosted manifest refers to (mirrored content is left to the LRU)",
		Flags: []cli.Flag{
			dataDirFlag(),
			&cli.DurationFlag{Name: "hosted-gc-grace", Value: cache.DefaultHostedGrace, EnvVars: env("HOSTED_GC_GRACE"), Usage: "spare blobs pushed less than this long ago (a push may still be on its way to the manifest)"},
		},
		Action: cacheGC,
	}
}

func cacheGC(c *cli.Context) (err error) {
	s, err := openCache(c, cache.Options{})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	got, err := s.CollectHosted(c.Duration("hosted-gc-grace"))
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "unlinked %d blobs from repositories; removed %d blobs (%s); hosted content now %s\n",
		got.Links, got.Blobs, humanize.IBytes(uint64(got.Bytes)), humanize.IBytes(uint64(s.HostedSize())))
	return nil
}
