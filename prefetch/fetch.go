package prefetch

import (
	"context"
	"io"
	"time"

	"golang.org/x/sync/errgroup"
)

// fetchAll fetches each distinct blob of the plans once: layers shared by
// images or platforms cost one download. A failed blob is reported and
// counted against its image; the others go on.
func (p *prefetcher) fetchAll(ctx context.Context, plans []*imagePlan, rep reporter) {
	var g errgroup.Group
	g.SetLimit(p.jobs)
	for _, b := range distinctBlobs(plans, rep) {
		g.Go(func() error {
			start := time.Now()
			err := p.fetch(ctx, b, rep)
			if err != nil {
				b.plan.failed.Add(1)
			}
			rep.fetched(b, time.Since(start), err)
			return nil
		})
	}
	g.Wait()
}

// distinctBlobs lists each digest once, and queues them all with the
// reporter before any fetch starts, so the progress shown has its total.
func distinctBlobs(plans []*imagePlan, rep reporter) []blobRef {
	seen := map[string]bool{}
	var out []blobRef
	for _, plan := range plans {
		for _, b := range plan.blobs {
			if !seen[b.digest.DigestStr()] {
				seen[b.digest.DigestStr()] = true
				out = append(out, b)
				rep.queued(b)
			}
		}
	}
	return out
}

// fetch reads one blob through the mirror to the end; the client verifies
// its digest, so a mirror serving bad bytes is an error here too.
func (p *prefetcher) fetch(ctx context.Context, b blobRef, rep reporter) error {
	l, err := p.puller.Layer(ctx, b.digest)
	if err != nil {
		return err
	}
	rc, err := l.Compressed()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(progressWriter(rep.read), rc)
	return err
}

// progressWriter discards bytes and reports how many went by.
type progressWriter func(n int64)

func (f progressWriter) Write(b []byte) (int, error) {
	f(int64(len(b)))
	return len(b), nil
}
