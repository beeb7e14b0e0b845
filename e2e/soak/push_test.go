package soak

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sync/atomic"
)

// hostedPattern is the --hosted pattern; hostedRepos are the names pushed.
const (
	hostedPattern = "hosted/*"
	hostedRepos   = 4
	ociManifest   = "application/vnd.oci.image.manifest.v1+json"
)

// pushSeq makes every pushed tag unique, so a verifier knows exactly
// which image a tag must name.
var pushSeq atomic.Int64

// push uploads a new image (config and one or two layers, each by one of
// the ways clients upload) and records it if the mirror acknowledges the
// manifest. Now and then a client abandons an upload half way.
func (c *client) push(ctx context.Context) bool {
	if c.pushes.liveCount() >= maxLive {
		return c.deleteOne(ctx)
	}
	img := &pushedImage{repo: fmt.Sprintf("hosted/app%d", c.rng.IntN(hostedRepos)),
		tag: fmt.Sprintf("t%06d", pushSeq.Add(1)), mediaType: ociManifest, blobs: map[string][]byte{}}
	cfg := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]},"soak":%q}`, rand.Text()))
	layers := [][]byte{randomBytes(c, 2<<10, 256<<10)}
	from, shared, ok := c.pushes.borrow(c.rng.IntN(1 << 20))
	if ok && c.rng.IntN(4) == 0 {
		layers[0] = shared // docker push mounts a base layer another repository has
	}
	if c.rng.IntN(2) == 0 {
		layers = append(layers, randomBytes(c, 64<<10, 768<<10))
	}
	if c.rng.IntN(25) == 0 {
		c.abandonUpload(ctx, img.repo, layers[0])
		return true
	}
	for i, b := range append([][]byte{cfg}, layers...) {
		if i == 1 && ok && bytes.Equal(b, shared) {
			if !c.mountBlob(ctx, img.repo, from, b) {
				return false
			}
		} else if !c.uploadBlob(ctx, img.repo, b) {
			return false
		}
		img.blobs[sha256Hex(b)] = b
	}
	img.raw = imageManifest(cfg, layers)
	img.manifest = hashOf(img.raw)
	return c.putManifest(ctx, img)
}

func randomBytes(c *client, lo, hi int) []byte {
	b := make([]byte, lo+c.rng.IntN(hi-lo))
	rand.Read(b)
	return b
}

func imageManifest(cfg []byte, layers [][]byte) []byte {
	type desc struct {
		MediaType string `json:"mediaType"`
		Digest    string `json:"digest"`
		Size      int    `json:"size"`
	}
	m := struct {
		SchemaVersion int    `json:"schemaVersion"`
		MediaType     string `json:"mediaType"`
		Config        desc   `json:"config"`
		Layers        []desc `json:"layers"`
	}{2, ociManifest, desc{"application/vnd.oci.image.config.v1+json", "sha256:" + sha256Hex(cfg), len(cfg)}, nil}
	for _, l := range layers {
		m.Layers = append(m.Layers, desc{"application/vnd.oci.image.layer.v1.tar+gzip", "sha256:" + sha256Hex(l), len(l)})
	}
	raw, _ := json.Marshal(m)
	return raw
}

// uploadBlob pushes b as one of: a monolithic POST, POST then PUT, or
// POST, PATCHes of chunks, and an empty PUT.
func (c *client) uploadBlob(ctx context.Context, repo string, b []byte) bool {
	digest := "sha256:" + sha256Hex(b)
	start := "/v2/" + repo + "/blobs/uploads/"
	if c.rng.IntN(3) == 0 {
		resp := c.send(ctx, "upload POST+digest", c.newRequest(http.MethodPost, start+"?digest="+digest, bytes.NewReader(b)), http.StatusCreated)
		return c.done(ctx, "upload POST+digest", resp)
	}
	resp := c.send(ctx, "upload POST", c.newRequest(http.MethodPost, start, nil), http.StatusAccepted)
	if resp == nil {
		return false
	}
	loc := resp.Header.Get("Location")
	if !c.done(ctx, "upload POST", resp) {
		return false
	}
	rest := b
	if c.rng.IntN(2) == 0 {
		for len(rest) > 0 && len(rest) > 64<<10 {
			chunk := rest[:min(len(rest), 32<<10+c.rng.IntN(256<<10))]
			if loc = c.patch(ctx, loc, chunk, len(b)-len(rest)); loc == "" {
				return false
			}
			rest = rest[len(chunk):]
		}
	}
	put := c.newRequest(http.MethodPut, "", bytes.NewReader(rest))
	put.URL = c.resolve(loc, digest)
	return c.done(ctx, "upload PUT", c.send(ctx, "upload PUT", put, http.StatusCreated))
}

// mountBlob asks for b from another repository; a mirror that cannot mount
// it (the other image was deleted) opens a session, and the client
// uploads the bytes into it, as docker push does.
func (c *client) mountBlob(ctx context.Context, repo, from string, b []byte) bool {
	const kind = "upload POST mount"
	digest := "sha256:" + sha256Hex(b)
	req := c.newRequest(http.MethodPost, "/v2/"+repo+"/blobs/uploads/?mount="+digest+"&from="+from, nil)
	resp := c.send(ctx, kind, req, http.StatusCreated, http.StatusAccepted)
	if resp == nil || resp.StatusCode == http.StatusCreated {
		return c.done(ctx, kind, resp)
	}
	loc := resp.Header.Get("Location")
	if !c.done(ctx, kind+", fell back", resp) {
		return false
	}
	put := c.newRequest(http.MethodPut, "", bytes.NewReader(b))
	put.URL = c.resolve(loc, digest)
	return c.done(ctx, "upload PUT", c.send(ctx, "upload PUT", put, http.StatusCreated))
}

// patch appends chunk at offset and returns the session's next Location.
func (c *client) patch(ctx context.Context, loc string, chunk []byte, offset int) string {
	const kind = "upload PATCH"
	req := c.newRequest(http.MethodPatch, "", bytes.NewReader(chunk))
	req.URL = c.resolve(loc, "")
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("Content-Range", fmt.Sprintf("%d-%d", offset, offset+len(chunk)-1))
	resp := c.send(ctx, kind, req, http.StatusAccepted)
	if resp == nil {
		return ""
	}
	next := resp.Header.Get("Location")
	if !c.done(ctx, kind, resp) {
		return ""
	}
	return next
}

// abandonUpload starts a session, sends one chunk and walks away, as a
// client killed mid-push does; the session's idle timeout must clean up.
func (c *client) abandonUpload(ctx context.Context, repo string, b []byte) {
	resp := c.send(ctx, "upload abandoned", c.newRequest(http.MethodPost, "/v2/"+repo+"/blobs/uploads/", nil), http.StatusAccepted)
	if resp == nil {
		return
	}
	loc := resp.Header.Get("Location")
	if c.done(ctx, "upload abandoned", resp) {
		c.patch(ctx, loc, b[:len(b)/2+1], 0)
	}
}

// resolve turns a Location (relative, as the spec allows, or absolute)
// into a URL, adding digest= when finishing.
func (c *client) resolve(loc, digest string) *url.URL {
	base, _ := url.Parse(c.base + "/")
	u, err := base.Parse(loc)
	if err != nil {
		u = base
	}
	if digest != "" {
		q := u.Query()
		q.Set("digest", digest)
		u.RawQuery = q.Encode()
	}
	return u
}

// done drains an expected answer and counts it as ok.
func (c *client) done(ctx context.Context, kind string, resp *http.Response) bool {
	if resp == nil {
		return false
	}
	if _, ok := c.readBody(ctx, kind, resp); !ok {
		return false
	}
	c.tally.outcome(kind, resultOK)
	return true
}

// putManifest pushes the manifest under its tag; a 201 whose
// Docker-Content-Digest is the manifest's puts the image in the ledger.
func (c *client) putManifest(ctx context.Context, img *pushedImage) bool {
	const kind = "manifest PUT"
	req := c.newRequest(http.MethodPut, "/v2/"+img.repo+"/manifests/"+img.tag, bytes.NewReader(img.raw))
	req.Header.Set("Content-Type", img.mediaType)
	resp := c.send(ctx, kind, req, http.StatusCreated)
	if resp == nil {
		return false
	}
	dcd := resp.Header.Get("Docker-Content-Digest")
	if _, ok := c.readBody(ctx, kind, resp); !ok {
		return false
	}
	if dcd != img.manifest.String() {
		c.tally.wrongBody(kind, "%s:%s acknowledged as %q, pushed %s", img.repo, img.tag, dcd, img.manifest)
		return false
	}
	c.pushes.add(img)
	c.tally.outcome(kind, resultOK)
	return true
}

// deleteOne deletes a live pushed image by digest. An acknowledged delete
// retires it; a lost answer leaves it unsure (it may or may not be gone);
// a clean 404 for an image never deleted means it was lost.
func (c *client) deleteOne(ctx context.Context) bool {
	const kind = "manifest DELETE"
	img := c.pushes.take(c.rng.IntN(maxLive))
	if img == nil {
		return true
	}
	resp := c.send(ctx, kind, c.newRequest(http.MethodDelete, "/v2/"+img.repo+"/manifests/"+img.manifest.String(), nil), http.StatusAccepted)
	if resp == nil && c.lastStatus == http.StatusNotFound {
		c.lostImage(img, "DELETE answered 404")
		return false
	}
	if resp == nil {
		c.pushes.settle(img, unsure)
		return false
	}
	if c.done(ctx, kind, resp) {
		c.pushes.settle(img, deleted)
		return true
	}
	c.pushes.settle(img, unsure)
	return false
}
