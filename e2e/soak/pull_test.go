package soak

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// manifestAccept is what docker and containerd send: every format the
// world's images come in.
var manifestAccept = strings.Join([]string{
	"application/vnd.oci.image.index.v1+json",
	"application/vnd.oci.image.manifest.v1+json",
	"application/vnd.docker.distribution.manifest.list.v2+json",
	"application/vnd.docker.distribution.manifest.v2+json",
}, ", ")

func (c *client) pickRepo() *upRepo { return c.world.repos[c.rng.IntN(len(c.world.repos))] }

func pick[T any](c *client, xs []T) T { return xs[c.rng.IntN(len(xs))] }

// pull does what `docker pull repo:tag` does: the manifest by tag, a
// platform's manifest by digest if it is an index, then config and layers.
// Now and then the client walks away in the middle of a layer.
func (c *client) pull(ctx context.Context) bool {
	r := c.pickRepo()
	info, ok := c.getManifest(ctx, r, pick(c, r.tags))
	if ok && len(info.children) > 0 {
		info, ok = c.getManifest(ctx, r, pick(c, info.children).String())
	}
	for i := 0; ok && i < len(info.blobs); i++ {
		if c.rng.IntN(20) == 0 {
			c.vanish(ctx, r, info.blobs[i])
			return true
		}
		ok = c.getBlob(ctx, r, info.blobs[i])
	}
	return ok
}

// getManifest fetches repo's ref and checks the body against its
// Docker-Content-Digest, the digest asked for, and what the Hub holds.
func (c *client) getManifest(ctx context.Context, r *upRepo, ref string) (*manifestInfo, bool) {
	const kind = kindManifestGet
	req := c.newRequest(http.MethodGet, "/v2/"+r.name+"/manifests/"+ref, nil)
	req.Header.Set("Accept", manifestAccept)
	body, hdr, ok := c.fetch(ctx, kind, req, http.StatusOK)
	if !ok {
		return nil, false
	}
	dcd := hdr.Get("Docker-Content-Digest")
	got := hashOf(body)
	info := c.world.manifests[got.Hex]
	switch {
	case dcd != got.String():
		c.tally.wrongBody(kind, "%s:%s body is %s, Docker-Content-Digest %q", r.name, ref, got, dcd)
	case strings.HasPrefix(ref, "sha256:") && ref != got.String():
		c.tally.wrongBody(kind, "%s@%s answered with %s", r.name, ref, got)
	case info == nil || !r.everBehind(c.world, got):
		c.tally.wrongBody(kind, "%s:%s answered with %s, no manifest of that repository", r.name, ref, got)
	default:
		c.tally.outcome(kind, resultOK)
		return info, true
	}
	return nil, false
}

// getBlob fetches a whole blob and checks it hashes to its digest.
func (c *client) getBlob(ctx context.Context, r *upRepo, d v1.Hash) bool {
	const kind = kindBlobGet
	body, _, ok := c.fetch(ctx, kind, c.newRequest(http.MethodGet, "/v2/"+r.name+"/blobs/"+d.String(), nil), http.StatusOK)
	if !ok {
		return false
	}
	if got := sha256Hex(body); got != d.Hex {
		c.tally.wrongBody(kind, "%s: %d bytes hash to %s", d, len(body), got)
		return false
	}
	c.tally.outcome(kind, resultOK)
	return true
}

// vanish reads part of a layer and hangs up, as a cancelled pull does.
func (c *client) vanish(ctx context.Context, r *upRepo, d v1.Hash) {
	const kind = kindBlobLeft
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	resp := c.send(ctx, kind, c.newRequest(http.MethodGet, "/v2/"+r.name+"/blobs/"+d.String(), nil), http.StatusOK)
	if resp == nil {
		return
	}
	defer resp.Body.Close()
	size := len(c.world.blobs[d.Hex])
	buf := make([]byte, 1+c.rng.IntN(max(1, size-1)))
	n, _ := resp.Body.Read(buf)
	c.tally.servedBytes.Add(int64(n))
	content := c.world.blobs[d.Hex]
	switch {
	case bytes.Equal(buf[:n], content[:n]):
		c.tally.outcome(kind, resultOK)
	case bytes.Equal(buf[:n], upstreamtest.CorruptedForm(content)[:n]):
		// A fill streams to its followers as it arrives and withholds
		// only the last byte until the digest matched: a client that
		// leaves early has seen the Hub's corruption, and would have seen
		// the connection cut had it stayed.
		c.tally.outcome(kind, resultUnverifiedPart)
	default:
		c.tally.wrongBody(kind, "%s: the first %d bytes differ", d, n)
	}
}

// rangeRead reads a span of a blob, as containerd's resumed pull and lazy
// pullers do, and checks it against the content.
func (c *client) rangeRead(ctx context.Context) bool {
	const kind = kindBlobRange
	r := c.pickRepo()
	info := c.world.manifests[pick(c, r.images).Hex]
	if len(info.children) > 0 {
		info = c.world.manifests[pick(c, info.children).Hex]
	}
	d := pick(c, info.blobs)
	content := c.world.blobs[d.Hex]
	from := c.rng.IntN(len(content))
	to := min(len(content)-1, from+c.rng.IntN(256<<10))
	req := c.newRequest(http.MethodGet, "/v2/"+r.name+"/blobs/"+d.String(), nil)
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, to))
	body, hdr, ok := c.fetch(ctx, kind, req, http.StatusPartialContent)
	if !ok {
		return false
	}
	wantRange := fmt.Sprintf("bytes %d-%d/%d", from, to, len(content))
	gotRange := hdr.Get("Content-Range")
	switch {
	case gotRange == wantRange && bytes.Equal(body, content[from:to+1]):
		c.tally.outcome(kind, resultOK)
		return true
	case gotRange == wantRange && isPart(from, to, len(content)) &&
		bytes.Equal(body, upstreamtest.CorruptedForm(content)[from:to+1]):
		// A part of a blob on a miss is served as its bytes arrive,
		// before the whole can be hashed (issue 12's lazy-pull ranges):
		// the Hub's corruption passed through. Counted apart, reported.
		c.tally.outcome(kind, resultUnverifiedPart)
		return false
	}
	c.tally.wrongBody(kind, "%s %s: Content-Range %q, %d bytes that match: %v",
		d, wantRange, gotRange, len(body), bytes.Equal(body, content[from:to+1]))
	return false
}

// isPart says bytes from-to (inclusive) of a blob of size are a part of it
// that the mirror serves unverified: neither from its start nor an open
// range to its end (those withhold their last byte until the digest
// matched, as mirror/ranges.go says). The soak only sends closed ranges.
func isPart(from, to, size int) bool { return from > 0 || to < size-1 }

// head asks for a manifest by tag or a blob by digest without the body,
// as docker does before a pull and containerd before every blob.
func (c *client) head(ctx context.Context) bool {
	r := c.pickRepo()
	if c.rng.IntN(2) == 0 {
		const kind = kindManifestHead
		req := c.newRequest(http.MethodHead, "/v2/"+r.name+"/manifests/"+pick(c, r.tags), nil)
		req.Header.Set("Accept", manifestAccept)
		resp := c.send(ctx, kind, req, http.StatusOK)
		if resp == nil {
			return false
		}
		resp.Body.Close()
		d, err := v1.NewHash(resp.Header.Get("Docker-Content-Digest"))
		if err != nil || !r.everBehind(c.world, d) || resp.ContentLength != int64(len(c.world.manifests[d.Hex].raw)) {
			c.tally.wrongBody(kind, "%s: Docker-Content-Digest %q, Content-Length %d", r.name,
				resp.Header.Get("Docker-Content-Digest"), resp.ContentLength)
			return false
		}
		c.tally.outcome(kind, resultOK)
		return true
	}
	const kind = kindBlobHead
	info := c.world.manifests[pick(c, r.images).Hex]
	if len(info.children) > 0 {
		info = c.world.manifests[pick(c, info.children).Hex]
	}
	d := pick(c, info.blobs)
	resp := c.send(ctx, kind, c.newRequest(http.MethodHead, "/v2/"+r.name+"/blobs/"+d.String(), nil), http.StatusOK)
	if resp == nil {
		return false
	}
	resp.Body.Close()
	if resp.ContentLength != int64(len(c.world.blobs[d.Hex])) || resp.Header.Get("Docker-Content-Digest") != d.String() {
		c.tally.wrongBody(kind, "%s: Content-Length %d, Docker-Content-Digest %q", d, resp.ContentLength,
			resp.Header.Get("Docker-Content-Digest"))
		return false
	}
	c.tally.outcome(kind, resultOK)
	return true
}

// tagsList checks the list names the repository and only tags it has.
func (c *client) tagsList(ctx context.Context) bool {
	const kind = kindTagsList
	r := c.pickRepo()
	body, _, ok := c.fetch(ctx, kind, c.newRequest(http.MethodGet, "/v2/"+r.name+"/tags/list", nil), http.StatusOK)
	if !ok {
		return false
	}
	var list struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}
	if err := json.Unmarshal(body, &list); err != nil || list.Name != r.name || !subset(list.Tags, r.tags) {
		c.tally.wrongBody(kind, "%s: %q", r.name, truncate(body, 200))
		return false
	}
	c.tally.outcome(kind, resultOK)
	return true
}

// referrers checks the index lists only artifacts that refer to the
// subject.
func (c *client) referrers(ctx context.Context) bool {
	const kind = kindReferrers
	r := c.pickRepo()
	subject := pick(c, r.images)
	body, _, ok := c.fetch(ctx, kind, c.newRequest(http.MethodGet, "/v2/"+r.name+"/referrers/"+subject.String(), nil), http.StatusOK)
	if !ok {
		return false
	}
	var idx v1.IndexManifest
	if err := json.Unmarshal(body, &idx); err != nil || idx.SchemaVersion != 2 {
		c.tally.wrongBody(kind, "%s@%s: %q", r.name, subject, truncate(body, 200))
		return false
	}
	for _, desc := range idx.Manifests {
		if !containsHash(r.referrers[subject.Hex], desc.Digest) {
			c.tally.wrongBody(kind, "%s@%s lists %s, which does not refer to it", r.name, subject, desc.Digest)
			return false
		}
	}
	c.tally.outcome(kind, resultOK)
	return true
}

func subset(xs, of []string) bool {
	for _, x := range xs {
		found := false
		for _, y := range of {
			found = found || x == y
		}
		if !found {
			return false
		}
	}
	return true
}
