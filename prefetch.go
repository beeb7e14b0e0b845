package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/urfave/cli/v2"
)

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
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mirror", Value: "http://localhost:5000", EnvVars: env("MIRROR"), Usage: "base URL of the running mirror"},
			&cli.StringFlag{Name: "from-file", Usage: "also read images from `FILE`, one per line, # starts a comment (- is stdin)"},
			&cli.StringFlag{Name: "platform", Usage: "only this platform of multi-platform images, e.g. linux/amd64 or linux/arm64/v8 (default: all)"},
			&cli.IntFlag{Name: "jobs", Value: 4, Usage: "blobs fetched at once"},
		},
		Action: prefetch,
	}
}

func prefetch(c *cli.Context) error {
	refs, err := prefetchRefs(c.Args().Slice(), c.String("from-file"), c.App.Reader)
	if err != nil {
		return err
	}
	p, err := newPrefetcher(prefetchOptions{
		Mirror:   c.String("mirror"),
		Platform: c.String("platform"),
		Jobs:     c.Int("jobs"),
	})
	if err != nil {
		return err
	}
	return p.run(c.Context, refs, newReporter(c.App.Writer))
}

// prefetchRefs gathers the images named on the command line and in the
// file, in that order.
func prefetchRefs(args []string, file string, stdin io.Reader) ([]string, error) {
	refs := append([]string(nil), args...)
	if file != "" {
		fromFile, err := readRefFile(file, stdin)
		if err != nil {
			return nil, err
		}
		refs = append(refs, fromFile...)
	}
	if len(refs) == 0 {
		return nil, errors.New("no images given: name them as arguments or with --from-file")
	}
	return refs, nil
}

func readRefFile(path string, stdin io.Reader) ([]string, error) {
	r := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	return parseRefList(r)
}

// parseRefList reads one reference per line; blank lines and everything
// after a # are ignored, so a list can explain itself.
func parseRefList(r io.Reader) ([]string, error) {
	var refs []string
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		line, _, _ := strings.Cut(sc.Text(), "#")
		if line = strings.TrimSpace(line); line != "" {
			refs = append(refs, line)
		}
	}
	return refs, sc.Err()
}

// failures is the error of a run in which some images or blobs failed;
// the others were still fetched.
type failures struct{ images, blobs, total int }

func (f failures) Error() string {
	return fmt.Sprintf("%d of %d images could not be fully prefetched (%d blobs failed)", f.images, f.total, f.blobs)
}

// run plans every image first (manifests are small), so the progress shown
// covers the whole job, then fetches each distinct blob once.
func (p *prefetcher) run(ctx context.Context, refs []string, rep reporter) error {
	var plans []*imagePlan
	failed := failures{total: len(refs)}
	for _, ref := range refs {
		plan, err := p.plan(ctx, ref)
		if err != nil {
			rep.imageFailed(ref, err)
			failed.images++
			continue
		}
		rep.planned(plan)
		plans = append(plans, plan)
	}
	p.fetchAll(ctx, plans, rep)
	for _, plan := range plans {
		if n := plan.failed.Load(); n > 0 {
			failed.images++
			failed.blobs += int(n)
		}
	}
	rep.finish()
	if failed.images > 0 {
		return failed
	}
	return nil
}
