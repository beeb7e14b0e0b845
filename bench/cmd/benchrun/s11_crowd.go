package main

import (
	"fmt"
	"path/filepath"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// crowdSizes are scenario 11's crowds: N clients joining one cold fill.
var crowdSizes = []int{8, 64}

// crowdResults is scenario 11: crowd size → system → one fanout per
// repetition (nginx's is the same crowd served from a file).
type crowdResults map[int]map[string][]fanout

func (c crowdResults) add(n int, system string, f fanout) {
	if c[n] == nil {
		c[n] = map[string][]fanout{}
	}
	c[n][system] = append(c[n][system], f)
}

// crowdBlobs are scenario 11's cold blobs: cfg.repeat per crowd size,
// after scenario 8's.
func (b *bench) crowdBlobs() []hubinfo.Blob {
	first := 1 + 4*b.cfg.repeat
	return b.hub.Blobs[first : first+len(crowdSizes)*b.cfg.repeat]
}

// crowdFills is scenario 11: scenario 3's join (one client, then N-1 more
// once it has 32 MiB) at N = 8 and 64, with the hub's cap lifted. The
// reference is nginx serving the same N clients the same bytes from a
// file: what delivering N copies costs on this machine when nothing has
// to be fetched. With the upstream capped (scenario 3) the fill, not the
// serving, sets the pace, and the comparison would measure the cap; here
// the hub sends as fast as loopback and its own CPU allow, so what is left
// is the cost of the fan-out itself.
func (b *bench) crowdFills() {
	if err := b.hub.setLink(hubinfo.Link{}); err != nil { // zero: no cap, no RTT
		b.res.problem("scenario 11: lifting the hub's cap: %v", err)
		return
	}
	defer func() {
		if err := b.hub.setLink(hubinfo.Link{Bandwidth: b.loopbackBandwidth}); err != nil {
			b.res.problem("scenario 11: restoring the hub's cap: %v", err)
		}
	}()
	blobs := b.crowdBlobs()
	for i, n := range crowdSizes {
		for rep := range b.cfg.repeat {
			if b.ctx.Err() != nil {
				return
			}
			b.crowdRun(n, blobs[i*b.cfg.repeat+rep])
		}
	}
}

// crowdRun runs one crowd through every system and nginx, back to back.
func (b *bench) crowdRun(n int, blob hubinfo.Blob) {
	for _, s := range b.systems {
		if err := b.hub.reset(); err != nil {
			b.res.problem("scenario 11: %v", err)
			return
		}
		var r fanout
		var err error
		b.profiled(fmt.Sprintf("crowd%d-%s", n, s.name), func() {
			r, err = runFanout(b.ctx, blobURL(s.url, blob.Repo, blob.Digest), blob.Size, n)
		})
		if err != nil {
			b.res.problem("scenario 11: N=%d %s: %v", n, s.name, err)
			continue
		}
		if c, err := b.hub.counts(); err == nil {
			r.upstreamBytes = c.CDNBytes
		}
		b.res.crowd.add(n, s.name, r)
		logf("scenario 11: N=%-3d %-10s slowest %.2fs, upstream %.2f× blob", n, s.name, slowest(r), float64(r.upstreamBytes)/float64(r.size))
	}
	r, err := runFanout(b.ctx, b.nginx.url+"/"+filepath.Base(blob.File), blob.Size, n)
	if err != nil {
		b.res.problem("scenario 11: N=%d nginx: %v", n, err)
		return
	}
	b.res.crowd.add(n, b.nginx.name, r)
	logf("scenario 11: N=%-3d %-10s slowest %.2fs", n, b.nginx.name, slowest(r))
}
