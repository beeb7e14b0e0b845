package main

import (
	"net/http"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// coldOne is scenario 2: one client, a blob no system has, upstream
// throttled. The reference is the same client pulling straight from the
// fake hub (token, then the registry's 307 to the CDN). A mirror that
// streams while it downloads costs about nothing on top of that; one that
// downloads first and serves after costs twice the time. Each repetition
// uses a blob of its own, so every system is cold every time, and runs
// direct, hubmirror, registry:2 back to back so machine noise hits all.
func (b *bench) coldOne() {
	for rep, blob := range b.coldBlobs() {
		tok, err := hubToken(b.ctx, b.hub.Realm, blob.Repo)
		if err != nil {
			b.res.problem("scenario 2: token: %v", err)
			return
		}
		hdr := http.Header{"Authorization": {"Bearer " + tok}}
		direct, err := fetchBlob(b.ctx, b.hub.URL, blob.Repo, blob.Digest, blob.Size, hdr, nil)
		if err != nil {
			b.res.problem("scenario 2: direct: %v", err)
			return
		}
		b.res.addCold("direct", direct.wall.Seconds())
		logf("scenario 2: run %d: %-10s %.2fs", rep+1, "direct", direct.wall.Seconds())
		for _, s := range b.systems {
			b.coldOneThrough(s, blob, rep)
		}
	}
}

func (b *bench) coldOneThrough(s *system, blob hubinfo.Blob, rep int) {
	if err := b.hub.reset(); err != nil {
		b.res.problem("scenario 2: %v", err)
		return
	}
	f, err := fetchBlob(b.ctx, s.url, blob.Repo, blob.Digest, blob.Size, nil, nil)
	if err != nil {
		b.res.problem("scenario 2: %s: %v", s.name, err)
		return
	}
	b.res.addCold(s.name, f.wall.Seconds())
	logf("scenario 2: run %d: %-10s %.2fs", rep+1, s.name, f.wall.Seconds())
}

// coldBlobs are scenario 2's blobs, one per repetition.
func (b *bench) coldBlobs() []hubinfo.Blob {
	return b.hub.Blobs[1 : 1+b.cfg.repeat]
}

// fanoutBlobs are scenario 3's blobs, one per repetition.
func (b *bench) fanoutBlobs() []hubinfo.Blob {
	return b.hub.Blobs[1+b.cfg.repeat : 1+2*b.cfg.repeat]
}
