package main

import (
	"strings"
	"time"
)

// pullTimeout bounds one `docker pull`. dockerd retries a failing layer
// for about 50 s before giving up, so a broken mirror still ends in time.
const pullTimeout = 2 * time.Minute

// dockerResult is scenario 6 for one system.
type dockerResult struct {
	cold     time.Duration   // first pull of the whole image set
	warm     []time.Duration // after `docker rmi`, one per round
	warmGets int64           // upstream manifest GETs over the warm rounds
	warmCDN  int64           // upstream blob fetches over the warm rounds
}

// dockerPulls is scenario 6: a real dockerd with registry-mirrors pointing
// at each system pulls the e2e image set (SeedStandard), cold, then again
// after `docker rmi` for cfg.warmPulls rounds.
func (b *bench) dockerPulls() {
	refs := b.imageRefs()
	for _, s := range b.systems {
		d, err := startDocker(b.ps, "docker-"+strings.TrimSuffix(s.name, ":2"), s.url)
		if err != nil {
			d.stop()
			b.res.problem("scenario 6: %s: starting dockerd: %v", s.name, err)
			continue
		}
		r, err := b.dockerRounds(d, refs)
		d.stop()
		if err != nil {
			b.res.problem("scenario 6: %s: %v", s.name, err)
			continue
		}
		b.res.docker[s.name] = r
		logf("scenario 6: %-10s cold %.2fs, warm median %.2fs", s.name, r.cold.Seconds(), medianDuration(r.warm).Seconds())
	}
}

func (b *bench) dockerRounds(d *dockerd, refs []string) (dockerResult, error) {
	var r dockerResult
	var err error
	if r.cold, err = b.pullAll(d, refs); err != nil {
		return r, err
	}
	if err := b.hub.reset(); err != nil {
		return r, err
	}
	for range b.cfg.warmPulls {
		if _, err := d.cli.Run(b.ctx, pullTimeout, append([]string{"rmi"}, refs...)...); err != nil {
			return r, err
		}
		warm, err := b.pullAll(d, refs)
		if err != nil {
			return r, err
		}
		r.warm = append(r.warm, warm)
	}
	if c, err := b.hub.counts(); err == nil {
		r.warmGets, r.warmCDN = c.ManifestGets, c.CDNGets
	}
	return r, nil
}

// pullAll pulls the images one after another, as a user's script would,
// and returns the total wall time.
func (b *bench) pullAll(d *dockerd, refs []string) (time.Duration, error) {
	start := time.Now()
	for _, ref := range refs {
		if _, err := d.cli.Run(b.ctx, pullTimeout, "pull", ref); err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
}

// imageRefs names the seeded images as a user types them: "alpine:latest"
// for library/alpine, so dockerd resolves them on docker.io and asks its
// mirror.
func (b *bench) imageRefs() []string {
	var refs []string
	for _, img := range b.hub.Images {
		refs = append(refs, strings.TrimPrefix(img.Repo, "library/")+":"+img.Tag)
	}
	return refs
}
