package soak

import (
	"bytes"
	"context"
	"net/http"
	"time"
)

// verifyAttempts bounds the retries of one image's check: a transient
// failure (a connection refused while the mirror restarts, a 503) is
// tried again; a clean 404 or wrong bytes are final.
const verifyAttempts = 5

type verdict int

const (
	intact verdict = iota
	missing
	transient
)

// verifyPushed checks every live pushed image can be pulled back
// identical: by tag, by digest, and every blob. It runs after each restart
// and at the end; it returns how many were checked and how many lost.
func (c *client) verifyPushed(ctx context.Context) (checked, lostN int) {
	for _, img := range c.pushes.takeAll() {
		v := c.verifyImage(ctx, img)
		for n := 1; v == transient && n < verifyAttempts && ctx.Err() == nil; n++ {
			c.pause(ctx)
			v = c.verifyImage(ctx, img)
		}
		switch v {
		case intact:
			checked++
			c.pushes.settle(img, live)
		case missing:
			lostN++
			c.lostImage(img, "not served back")
		default:
			c.tally.event("pushed images left unverified (mirror kept failing)", 1)
			c.pushes.settle(img, live)
		}
	}
	return checked, lostN
}

func (c *client) lostImage(img *pushedImage, why string) {
	c.pushes.settle(img, lost)
	c.tally.event("pushed images LOST", 1)
	c.tally.note("pushed image", "%s:%s (%s) %s", img.repo, img.tag, img.manifest, why)
}

func (c *client) verifyImage(ctx context.Context, img *pushedImage) verdict {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for _, ref := range []string{img.tag, img.manifest.String()} {
		if v := c.verifyBody(ctx, "pushed manifest GET", "/v2/"+img.repo+"/manifests/"+ref, img.raw); v != intact {
			return v
		}
	}
	for hex, b := range img.blobs {
		if v := c.verifyBody(ctx, "pushed blob GET", "/v2/"+img.repo+"/blobs/sha256:"+hex, b); v != intact {
			return v
		}
	}
	return intact
}

// verifyBody fetches path and compares it with want.
func (c *client) verifyBody(ctx context.Context, kind, path string, want []byte) verdict {
	req := c.newRequest(http.MethodGet, path, nil)
	req.Header.Set("Accept", ociManifest)
	resp := c.send(ctx, kind, req, http.StatusOK)
	if resp == nil {
		if c.lastStatus == http.StatusNotFound {
			return missing
		}
		return transient
	}
	body, ok := c.readBody(ctx, kind, resp)
	if !ok {
		return transient
	}
	if !bytes.Equal(body, want) {
		c.tally.wrongBody(kind, "%s: %d bytes, want the %d pushed", path, len(body), len(want))
		return missing
	}
	c.tally.outcome(kind, resultOK)
	return intact
}
