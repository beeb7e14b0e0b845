package main

import (
	"context"
	"encoding/json"
	"fmt"
	"time"
)

// tagResult is scenario 7 for one system.
type tagResult struct {
	pulls         int
	manifestGets  int64 // upstream manifest GETs (each costs a Docker Hub pull)
	manifestHeads int64 // free on Docker Hub, but still a round trip
	cdnGets       int64
	wall          time.Duration // of the warm pass
}

// freshTags is scenario 7: every tag is pulled once (cold), then pulled
// again while still fresh (well inside hubmirror's 5-minute default TTL).
// The second pass is what is counted: a mirror that knows the tag has no
// reason to spend a Docker Hub pull on it.
func (b *bench) freshTags() {
	repo, tags := b.hub.Tagged.Repo, b.hub.Tagged.Tags[1:]
	for _, s := range b.systems {
		if err := pullTags(b.ctx, s.url, repo, tags); err != nil {
			b.res.problem("scenario 7: %s: cold pass: %v", s.name, err)
			continue
		}
		if err := b.hub.reset(); err != nil {
			b.res.problem("scenario 7: %v", err)
			return
		}
		start := time.Now()
		if err := pullTags(b.ctx, s.url, repo, tags); err != nil {
			b.res.problem("scenario 7: %s: warm pass: %v", s.name, err)
			continue
		}
		r := tagResult{pulls: len(tags), wall: time.Since(start)}
		if c, err := b.hub.counts(); err == nil {
			r.manifestGets, r.manifestHeads, r.cdnGets = c.ManifestGets, c.ManifestHeads, c.CDNGets
		}
		b.res.tags[s.name] = r
		logf("scenario 7: %-10s %d warm pulls in %s: upstream %d manifest GETs, %d HEADs, %d CDN GETs",
			s.name, r.pulls, r.wall.Round(time.Millisecond), r.manifestGets, r.manifestHeads, r.cdnGets)
	}
}

func pullTags(ctx context.Context, base, repo string, tags []string) error {
	for _, tag := range tags {
		if err := pullImage(ctx, base, repo, tag); err != nil {
			return err
		}
	}
	return nil
}

// pullImage does what a client's pull of a single-platform image does on
// the wire: the manifest by tag, then its config and every layer.
func pullImage(ctx context.Context, base, repo, tag string) error {
	_, body, err := getJSON(ctx, fmt.Sprintf("%s/v2/%s/manifests/%s", base, repo, tag), "Accept", dockerAccept)
	if err != nil {
		return err
	}
	var m struct {
		Config struct{ Digest string }
		Layers []struct {
			Digest string
			Size   int64
		}
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Config.Digest == "" {
		return fmt.Errorf("%s:%s: not a single-platform manifest (%v)", repo, tag, err)
	}
	if _, _, err := getJSON(ctx, blobURL(base, repo, m.Config.Digest)); err != nil {
		return err
	}
	for _, l := range m.Layers {
		if _, err := fetchBlob(ctx, base, repo, l.Digest, l.Size, nil, nil); err != nil {
			return err
		}
	}
	return nil
}
