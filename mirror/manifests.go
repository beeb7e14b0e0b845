package mirror

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream"
)

// manifestTimeout bounds one upstream manifest fetch; it runs detached from
// the client because other clients may be waiting on the same fetch.
const manifestTimeout = 60 * time.Second

// revalidateTimeout bounds a tag's HEAD; past it the cached answer is served.
const revalidateTimeout = 15 * time.Second

// manifest is what the mirror serves for a manifest request.
type manifest struct {
	body      []byte
	mediaType string
	digest    string
	cache     string // hit, miss or stale
}

// manifestStore is what manifests need of the cache: small content read
// whole, and stored in one step.
type manifestStore interface {
	ReadAll(d v1.Hash) ([]byte, cache.Meta, error)
	Put(d v1.Hash, mediaType string, body []byte) error
}

// tagStore is the cache's tag index: what a tag resolved to, and when.
type tagStore interface {
	Tag(upstream, repo, tag string) (cache.Tag, error)
	SetTag(upstream, repo, tag string, t cache.Tag) error
}

func (m *Mirror) serveManifest(w http.ResponseWriter, r *http.Request, rt route) {
	man, err := m.resolveManifest(r.Context(), rt, acceptedTypes(r))
	if err != nil {
		writeError(w, err, errManifestUnknown)
		return
	}
	noteCache(w, man.cache)
	if r.Method == http.MethodGet && !rt.ref.isDigest() {
		m.pulls.add(rt.reg.Host + "/" + rt.repo)
	}
	h := w.Header()
	h.Set("Content-Type", man.mediaType)
	h.Set("Docker-Content-Digest", man.digest)
	h.Set("ETag", `"`+man.digest+`"`)
	if man.cache == metrics.ResultStale {
		h.Set("Warning", `110 - "stale"`)
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(man.body))
}

func (m *Mirror) resolveManifest(ctx context.Context, rt route, accept []string) (*manifest, error) {
	if rt.ref.isDigest() {
		return m.manifestByDigest(ctx, rt, accept)
	}
	return m.manifestByTag(ctx, rt, accept)
}

// manifestByDigest never asks upstream once the digest is cached: content
// under a digest cannot change.
func (m *Mirror) manifestByDigest(ctx context.Context, rt route, accept []string) (*manifest, error) {
	if man, ok := m.cachedManifest(rt.ref.digest); ok {
		return man, nil
	}
	return m.fetchManifest(ctx, rt, accept)
}

// manifestByTag serves a fresh tag from the cache without asking upstream.
// An expired one is revalidated with a HEAD, which Docker Hub does not count
// against the pull limit; only a changed digest costs a GET.
func (m *Mirror) manifestByTag(ctx context.Context, rt route, accept []string) (*manifest, error) {
	t, err := m.opts.Store.Tag(rt.reg.Host, rt.repo, rt.ref.tag)
	if err != nil || !acceptable(t.MediaType, accept) {
		return m.fetchManifest(ctx, rt, accept)
	}
	cached, ok := m.cachedManifest(t.Digest)
	if !ok {
		return m.fetchManifest(ctx, rt, accept)
	}
	age := m.now().Sub(t.FetchedAt)
	switch {
	case age < m.opts.TagTTL:
		return cached, nil
	case age < m.opts.TagTTL+m.opts.StaleWhileRevalidate:
		go m.revalidateDetached(rt, accept, t)
		return markStale(cached), nil
	}
	return m.revalidate(ctx, rt, accept, t, cached)
}

// revalidate asks upstream whether the tag still names the cached digest.
// If upstream cannot answer (down, rate-limiting), the cached answer is
// served stale rather than failing the pull.
func (m *Mirror) revalidate(ctx context.Context, rt route, accept []string, t cache.Tag, cached *manifest) (*manifest, error) {
	desc, err := m.headTag(ctx, rt, accept)
	if err == nil && desc.Digest == t.Digest {
		t.FetchedAt = m.now().UTC()
		return cached, m.opts.Store.SetTag(rt.reg.Host, rt.repo, rt.ref.tag, t)
	}
	if err == nil {
		var fresh *manifest
		if fresh, err = m.fetchManifest(ctx, rt, accept); err == nil {
			return fresh, nil
		}
	}
	if !servableStale(err) {
		return nil, err
	}
	m.log.Warn("serving stale manifest", "repo", rt.repo, "tag", rt.ref.tag, "error", err)
	return markStale(cached), nil
}

// headTag makes one HEAD however many clients revalidate the tag at once.
// It does not retry: a cached answer is waiting, and a client should get it
// at once rather than after a backoff.
func (m *Mirror) headTag(ctx context.Context, rt route, accept []string) (upstream.Descriptor, error) {
	key := "HEAD " + rt.reg.Host + "/" + rt.repo + ":" + rt.ref.tag + "|" + strings.Join(accept, ",")
	defer waitedOnUpstream(ctx, time.Now())
	v, err, _ := m.manifests.Do(key, func() (any, error) {
		// A client that found the tag expired just before another one's
		// revalidation finished must not set off a second HEAD.
		if t, err := m.opts.Store.Tag(rt.reg.Host, rt.repo, rt.ref.tag); err == nil && m.now().Sub(t.FetchedAt) < m.opts.TagTTL {
			return upstream.Descriptor{Digest: t.Digest, MediaType: t.MediaType}, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revalidateTimeout)
		defer cancel()
		return rt.reg.Upstream.HeadManifest(upstream.WithoutRetries(ctx), rt.repo, rt.ref.tag, accept)
	})
	if err != nil {
		return upstream.Descriptor{}, err
	}
	return v.(upstream.Descriptor), nil
}

// revalidateDetached refreshes a tag in the background while the client is
// served the cached answer (stale-while-revalidate).
func (m *Mirror) revalidateDetached(rt route, accept []string, t cache.Tag) {
	if cached, ok := m.cachedManifest(t.Digest); ok {
		m.revalidate(context.Background(), rt, accept, t, cached)
	}
}

func markStale(man *manifest) *manifest {
	man.cache = metrics.ResultStale
	return man
}

func (m *Mirror) cachedManifest(d v1.Hash) (*manifest, bool) {
	body, meta, err := m.opts.Store.ReadAll(d)
	if err != nil {
		return nil, false
	}
	return &manifest{body: body, mediaType: meta.MediaType, digest: d.String(), cache: metrics.ResultHit}, true
}

// fetchManifest asks upstream once for everyone asking the same question at
// the same moment, and caches the answer by digest (and the tag with it).
func (m *Mirror) fetchManifest(ctx context.Context, rt route, accept []string) (*manifest, error) {
	key := rt.reg.Host + "/" + rt.repo + "@" + rt.ref.String() + "|" + strings.Join(accept, ",")
	defer waitedOnUpstream(ctx, time.Now())
	v, err, _ := m.manifests.Do(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), manifestTimeout)
		defer cancel()
		got, err := rt.reg.Upstream.Manifest(ctx, rt.repo, rt.ref.String(), accept)
		if err != nil {
			return nil, err
		}
		return got, m.remember(rt, got, acceptsIndex(accept))
	})
	if err != nil {
		return nil, err
	}
	got := v.(*upstream.Manifest)
	return &manifest{body: got.Body, mediaType: got.MediaType, digest: got.Digest.String(), cache: metrics.ResultMiss}, nil
}

// remember caches a fetched manifest, and what the tag resolves to. A client
// that cannot take an index gets one platform's manifest in its place (Hub
// converts); that answer is for that client only, so it must not become
// what the tag means for everyone else.
func (m *Mirror) remember(rt route, got *upstream.Manifest, tagWide bool) error {
	if err := m.opts.Store.Put(got.Digest, got.MediaType, got.Body); err != nil {
		return err
	}
	if rt.ref.isDigest() || !tagWide {
		return nil
	}
	return m.opts.Store.SetTag(rt.reg.Host, rt.repo, rt.ref.tag, cache.Tag{
		Digest: got.Digest, MediaType: got.MediaType, FetchedAt: m.now().UTC(),
	})
}

// servableStale says an upstream failure is an outage or a rate limit, when
// serving the last known answer beats failing, rather than a definite "no".
func servableStale(err error) bool {
	return causeOf(err).servesStale()
}
