package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dustin/go-humanize"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/internal/proctest"
)

// Scenario 8 puts the fake hub far away: every CDN connection capped (one
// TCP flow on a long link gets about window ÷ RTT), all of them sharing
// one link, and a round trip before every answer. The references are the
// clients a user far from Docker Hub would otherwise run: one stream
// straight from the hub for a blob, crane straight from the hub for an
// image. The loopback scenarios run before and after with the link off.

// rangedStreams is the strong reference's parallelism: as many ranges at
// once as hubmirror's default fill parallelism.
const rangedStreams = 4

var rangedName = fmt.Sprintf("direct ×%d", rangedStreams)

// farLink is the link scenario 8 emulates.
func (b *bench) farLink() hubinfo.Link {
	return hubinfo.Link{Bandwidth: b.cfg.farConn, LinkBandwidth: b.cfg.farLinkBW, RTT: b.cfg.farRTT}
}

// farScenarios runs 8a (one cold blob), 8b (clients joining its fill) and
// 8c (a cold image of many small layers), then puts the link back.
func (b *bench) farScenarios() {
	if err := b.hub.setLink(b.farLink()); err != nil {
		b.res.problem("scenario 8: %v", err)
		return
	}
	defer func() {
		if err := b.hub.setLink(hubinfo.Link{Bandwidth: b.loopbackBandwidth}); err != nil {
			b.res.problem("scenario 8: restoring the loopback link: %v", err)
		}
	}()
	b.farCold()
	b.farFanOut()
	b.farImages()
}

// farCold is 8a: per repetition a fresh blob, direct then each system.
func (b *bench) farCold() {
	for rep, blob := range b.farColdBlobs() {
		tok, err := hubToken(b.ctx, b.hub.Realm, blob.Repo)
		if err != nil {
			b.res.problem("scenario 8a: token: %v", err)
			return
		}
		hdr := http.Header{"Authorization": {"Bearer " + tok}}
		direct, err := fetchBlob(b.ctx, b.hub.URL, blob.Repo, blob.Digest, blob.Size, hdr, nil)
		if err != nil {
			b.res.problem("scenario 8a: direct: %v", err)
			return
		}
		b.res.far.addCold("direct", direct.wall.Seconds(), hubinfo.BlobStats{Bytes: blob.Size})
		logf("scenario 8a: run %d: %-10s %.2fs", rep+1, "direct", direct.wall.Seconds())
		ranged, err := fetchRanged(b.ctx, blobURL(b.hub.URL, blob.Repo, blob.Digest), blob.Size, hdr, rangedStreams)
		if err != nil {
			b.res.problem("scenario 8a: direct, %d ranges: %v", rangedStreams, err)
			return
		}
		b.res.far.addCold(rangedName, ranged.Seconds(), hubinfo.BlobStats{Bytes: blob.Size})
		logf("scenario 8a: run %d: %-10s %.2fs", rep+1, rangedName, ranged.Seconds())
		for _, s := range b.systems {
			b.farColdThrough(s, blob, rep)
		}
	}
}

func (b *bench) farColdThrough(s *system, blob hubinfo.Blob, rep int) {
	if err := b.hub.reset(); err != nil {
		b.res.problem("scenario 8a: %v", err)
		return
	}
	f, err := fetchBlob(b.ctx, s.url, blob.Repo, blob.Digest, blob.Size, nil, nil)
	if err != nil {
		b.res.problem("scenario 8a: %s: %v", s.name, err)
		return
	}
	c, err := b.hub.counts()
	if err != nil {
		b.res.problem("scenario 8a: %s: %v", s.name, err)
		return
	}
	st := c.BlobStats[blob.Digest]
	b.res.far.addCold(s.name, f.wall.Seconds(), st)
	logf("scenario 8a: run %d: %-10s %.2fs, upstream %.3f× blob, %d ranged GETs, %d at once",
		rep+1, s.name, f.wall.Seconds(), float64(st.Bytes)/float64(blob.Size), st.RangedGets, st.MaxActive)
}

// farFanOut is 8b: scenario 3's clients on the far link, joining a cold
// fill once the first has 32 MiB.
func (b *bench) farFanOut() {
	for _, blob := range b.farFanBlobs() {
		for _, s := range b.systems {
			if err := b.hub.reset(); err != nil {
				b.res.problem("scenario 8b: %v", err)
				return
			}
			r, err := runFanout(b.ctx, blobURL(s.url, blob.Repo, blob.Digest), blob.Size, b.cfg.clients)
			if err != nil {
				b.res.problem("scenario 8b: %s: %v", s.name, err)
				continue
			}
			if c, err := b.hub.counts(); err == nil {
				r.upstreamBytes = c.BlobStats[blob.Digest].Bytes
			}
			b.res.far.addFan(s.name, r)
			logf("scenario 8b: %-10s upstream %.2f× blob, slowest %.2fs", s.name, float64(r.upstreamBytes)/float64(r.size), slowest(r))
		}
	}
}

// farImages is 8c: crane pulls a cold image of many small layers, straight
// from the hub and through each system; one fresh image per repetition.
func (b *bench) farImages() {
	crane := filepath.Join(b.cfg.binDir, "crane")
	if _, err := os.Stat(crane); err != nil {
		b.res.problem("scenario 8c: crane not installed (bench/run.sh installs it): %v", err)
		return
	}
	for rep, img := range b.hub.FarImages {
		targets := []struct{ name, host string }{{"crane direct", hostOf(b.hub.URL)}}
		for _, s := range b.systems {
			targets = append(targets, struct{ name, host string }{s.name, hostOf(s.url)})
		}
		for _, tg := range targets {
			b.farImagePull(crane, tg.name, tg.host+"/"+img.Repo+":"+img.Tag, rep)
		}
	}
}

// farImagePull is one crane pull of 8c, with what it cost the far link.
func (b *bench) farImagePull(crane, name, ref string, rep int) {
	if err := b.hub.reset(); err != nil {
		b.res.problem("scenario 8c: %v", err)
		return
	}
	wall, err := b.cranePull(crane, ref)
	if err != nil {
		b.res.problem("scenario 8c: %s: %v", name, err)
		return
	}
	c, err := b.hub.counts()
	if err != nil {
		b.res.problem("scenario 8c: %s: %v", name, err)
		return
	}
	b.res.far.addImage(name, wall.Seconds(), c)
	logf("scenario 8c: run %d: %-12s %.2fs; upstream %d pings, %d tokens, %d HEADs, %d+%d+%d connections, %d round trips",
		rep+1, name, wall.Seconds(), c.Pings, c.Tokens, c.ManifestHeads+c.BlobHeads, c.RegistryConns, c.TokenConns, c.CDNConns, c.RoundTrips)
}

// cranePull pulls ref into a fresh OCI layout (crane fetches the layers
// several at once) and returns the wall time.
func (b *bench) cranePull(crane, ref string) (time.Duration, error) {
	dir, err := os.MkdirTemp(b.cfg.work, "crane-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	start := time.Now()
	_, err = proctest.Run(b.ctx, pullTimeout, offlineEnv(), crane, "pull", "--insecure", "--format", "oci", ref, dir)
	return time.Since(start), err
}

// farColdBlobs and farFanBlobs are scenario 8's blobs, seeded after
// scenario 3's: one per repetition each.
func (b *bench) farColdBlobs() []hubinfo.Blob {
	return b.hub.Blobs[1+2*b.cfg.repeat : 1+3*b.cfg.repeat]
}

func (b *bench) farFanBlobs() []hubinfo.Blob {
	return b.hub.Blobs[1+3*b.cfg.repeat : 1+4*b.cfg.repeat]
}

func hostOf(url string) string { return strings.TrimPrefix(url, "http://") }

// farLinkNote describes scenario 8 for RESULTS.md.
func farLinkNote(l hubinfo.Link, clients, repeat, layers int) string {
	return fmt.Sprintf("8: the fake hub emulates a far link (PUT /_link): each CDN connection capped at %s/s, all of them sharing %s/s, %s before every answer and once more per new connection. 8a: as #2 (a token first, then one stream straight from the hub is the reference the target is set against; the same blob as 4 ranges at once, as a download accelerator would fetch it, is the strong reference), %d runs on fresh blobs; upstream bytes are the CDN's for that blob. 8b: as #3 with %d clients on fresh blobs; the ratio is to the same system's 8a time. 8c: `crane pull --format oci` of a fresh image of %d small layers per run, straight from the hub (the reference) and through each system.",
		humanize.Bytes(uint64(l.Bandwidth)), humanize.Bytes(uint64(l.LinkBandwidth)), l.RTT, repeat, clients, layers)
}

// farLayerCount is the layers of scenario 8c's images (their blobs, as
// seeded, are the layers).
func farLayerCount(imgs []hubinfo.Image) int {
	if len(imgs) == 0 {
		return 0
	}
	return len(imgs[0].Blobs)
}
