package prefetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// Options say what to prefetch from which mirror, and where to report it.
type Options struct {
	Mirror    string    // base URL of the running mirror, http://host:port
	Images    []string  // references as docker pull takes them
	FromFile  string    // also read images from this file, one per line ("-": Stdin)
	Stdin     io.Reader // read when FromFile is "-" (nil: os.Stdin)
	Platform  string    // only this platform of multi-platform images ("": all)
	Jobs      int       // blobs fetched at once
	UserAgent string
	Out       io.Writer // progress and the final summary (nil: discarded)
}

// Run plans every image, then fetches each distinct blob once through the
// mirror. An image or blob that fails does not stop the others; the error
// then counts what failed.
func Run(ctx context.Context, o Options) error {
	if o.Stdin == nil {
		o.Stdin = os.Stdin
	}
	if o.Out == nil {
		o.Out = io.Discard
	}
	refs, err := gatherRefs(o.Images, o.FromFile, o.Stdin)
	if err != nil {
		return err
	}
	p, err := newPrefetcher(o)
	if err != nil {
		return err
	}
	return p.warm(ctx, refs, newReporter(o.Out))
}

// gatherRefs gathers the images named on the command line and in the
// file, in that order.
func gatherRefs(args []string, file string, stdin io.Reader) ([]string, error) {
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

// warm plans every image first (manifests are small), so the progress
// shown covers the whole job, then fetches each distinct blob once.
func (p *prefetcher) warm(ctx context.Context, refs []string, rep reporter) error {
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
