package main

import (
	"fmt"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/urfave/cli/v2"

	"github.com/hubmirror/hubmirror/cache"
)

func cacheVerifyCommand() *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "re-hash every blob; remove (and report) any that is corrupt or missing",
		Description: `Exits non-zero if anything was wrong. What was removed is fetched from
upstream again on its next pull.`,
		Flags:  []cli.Flag{dataDirFlag()},
		Action: cacheVerify,
	}
}

func cacheVerify(c *cli.Context) (err error) {
	s, err := openCache(c, cache.Options{})
	if err != nil {
		return err
	}
	defer closeCache(s, &err)
	got, err := s.Verify(func(d v1.Hash, problem error) {
		fmt.Fprintf(c.App.Writer, "removed %s: %v\n", d, problem)
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "checked %d blobs (%s): %d corrupt, %d missing\n",
		got.Checked, humanize.IBytes(uint64(got.Bytes)), got.Corrupt, got.Missing)
	if got.Corrupt+got.Missing > 0 {
		return fmt.Errorf("verify removed %d corrupt and %d missing blobs", got.Corrupt, got.Missing)
	}
	return nil
}
