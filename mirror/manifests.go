package mirror

import (
	"context"
	"errors"
	"net/http"
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
	digest    string      // or, for a cached manifest, hash (etag spells it)
	hash      v1.Hash     // without v1.Hash.String's three allocations
	cache     string      // hit, miss or stale
	rateLimit http.Header // upstream's pull allowance, on a miss
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
		m.pulls.add(rt.reg.Host, rt.repo)
	}
	h := w.Header()
	for k, v := range man.rateLimit {
		h[k] = v
	}
	// Canonical keys assigned directly (Header.Set canonicalises each key
	// per call), and the values in one array, each slice capped so an
	// append elsewhere copies rather than overwrites its neighbour.
	etag := man.etag()
	vals := [...]string{man.mediaType, etag[1 : len(etag)-1], etag}
	h["Content-Type"] = vals[0:1:1]
	h["Docker-Content-Digest"] = vals[1:2:2]
	h["Etag"] = vals[2:3:3]
	if man.cache == metrics.ResultStale {
		h["Warning"] = warningStale
	}
	serveSmallBody(w, r, man.body)
}

var warningStale = []string{`110 - "stale"`}

// etag is the digest quoted, built in one allocation; the digest header
// is cut from it.
func (man *manifest) etag() string {
	if man.digest != "" {
		return `"` + man.digest + `"`
	}
	return `"` + man.hash.Algorithm + ":" + man.hash.Hex + `"`
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
// against the pull limit; only a changed digest costs a GET. Which cached
// answer a client may get is tagindex.go's business.
func (m *Mirror) manifestByTag(ctx context.Context, rt route, accept []string) (*manifest, error) {
	e, ok := m.lookupTag(rt, accept)
	if !ok {
		man, err := m.fetchManifest(ctx, rt, accept)
		if derived, ok := m.derivedStale(rt, accept); err != nil && servableStale(err) && ok {
			return derived, nil
		}
		return man, err
	}
	cached, ok := m.cachedManifest(e.t.Digest)
	if !ok {
		return m.fetchManifest(ctx, rt, accept)
	}
	age := m.ages.age(classKey(rt, e.class), e.t.FetchedAt)
	switch {
	case age < m.opts.TagTTL:
		return cached, nil
	case age < m.opts.TagTTL+m.opts.StaleWhileRevalidate:
		go m.revalidateDetached(rt, accept, e)
		return markStale(cached), nil
	}
	return m.revalidate(ctx, rt, accept, e, cached)
}

// revalidate asks upstream whether the tag still names the cached digest.
// If upstream cannot answer (down, rate-limiting), the cached answer is
// served stale rather than failing the pull. An upstream whose HEAD is
// no use (405, no digest) is asked with a GET instead.
func (m *Mirror) revalidate(ctx context.Context, rt route, accept []string, e tagEntry, cached *manifest) (*manifest, error) {
	desc, err := m.headTag(ctx, rt, accept, e)
	if err == nil && desc.Digest == e.t.Digest && desc.Stale {
		// A parent mirror confirmed it only from its own stale copy:
		// still stale here, and not fresh for another TTL.
		return markStale(cached), nil
	}
	if err == nil && desc.Digest == e.t.Digest {
		return cached, m.storeTag(rt, e)
	}
	if err == nil || headUnusable(err) {
		var fresh *manifest
		if fresh, err = m.refetch(ctx, rt, accept, e); err == nil {
			return fresh, nil
		}
	}
	if !servableStale(err) {
		return nil, err
	}
	m.log.Warn("serving stale manifest", "repo", rt.repo, "tag", rt.ref.tag, "error", err)
	return markStale(cached), nil
}

// refetch gets a tag that moved. The meaning is fetched with the full
// Accept; if what it now is cannot be given to this client, the client's
// own answer is fetched as well.
func (m *Mirror) refetch(ctx context.Context, rt route, accept []string, e tagEntry) (*manifest, error) {
	fresh, err := m.fetchManifest(ctx, rt, e.askFor(accept))
	if err != nil || acceptable(fresh.mediaType, accept) {
		return fresh, err
	}
	return m.fetchManifest(ctx, rt, accept)
}

// headUnusable says a HEAD could not tell whether the tag moved, though a
// GET may: the registry refuses HEAD, or sends no digest with it.
func headUnusable(err error) bool {
	var se *upstream.StatusError
	return errors.Is(err, upstream.ErrNoHeadDigest) ||
		errors.As(err, &se) && se.StatusCode == http.StatusMethodNotAllowed
}

// headTag makes one HEAD however many clients revalidate the entry at
// once. It does not retry: a cached answer is waiting, and a client should
// get it at once rather than after a backoff.
func (m *Mirror) headTag(ctx context.Context, rt route, accept []string, e tagEntry) (upstream.Descriptor, error) {
	key := "HEAD " + classKey(rt, e.class)
	defer waitedOnUpstream(ctx, time.Now())
	v, err, _ := m.manifests.Do(key, func() (any, error) {
		// A client that found the tag expired just before another one's
		// revalidation finished must not set off a second HEAD.
		if t, ok := m.rereadTag(rt, e); ok && m.ages.age(classKey(rt, e.class), t.FetchedAt) < m.opts.TagTTL {
			return upstream.Descriptor{Digest: t.Digest, MediaType: t.MediaType}, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), revalidateTimeout)
		defer cancel()
		return rt.reg.Upstream.HeadManifest(upstream.WithoutRetries(ctx), rt.repo, rt.ref.tag, e.askFor(accept))
	})
	if err != nil {
		return upstream.Descriptor{}, err
	}
	return v.(upstream.Descriptor), nil
}

// revalidateDetached refreshes a tag in the background while the client is
// served the cached answer (stale-while-revalidate).
func (m *Mirror) revalidateDetached(rt route, accept []string, e tagEntry) {
	if cached, ok := m.cachedManifest(e.t.Digest); ok {
		m.revalidate(context.Background(), rt, accept, e, cached)
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
	return &manifest{body: body, mediaType: meta.MediaType, hash: d, cache: metrics.ResultHit}, true
}

// fetchManifest asks upstream once for everyone asking the same question at
// the same moment, and caches the answer by digest (and the tag with it).
// A "not found" is remembered for a while (negative.go) and answered from
// memory until then; a success forgets it.
func (m *Mirror) fetchManifest(ctx context.Context, rt route, accept []string) (*manifest, error) {
	class := acceptClass(accept)
	if err := m.negatives.missing(rt, class); err != nil {
		return nil, err
	}
	key := rt.reg.Host + "/" + rt.repo + "@" + rt.ref.String() + "|" + class
	defer waitedOnUpstream(ctx, time.Now())
	v, err, _ := m.manifests.Do(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), manifestTimeout)
		defer cancel()
		got, err := rt.reg.Upstream.Manifest(ctx, rt.repo, rt.ref.String(), accept)
		if err != nil {
			m.negatives.remember(rt, class, err)
			return nil, err
		}
		m.negatives.forget(rt.reg.Host, rt.repo, rt.ref.tag)
		return got, m.remember(rt, got, accept)
	})
	if err != nil {
		return nil, err
	}
	got := v.(*upstream.Manifest)
	man := &manifest{body: got.Body, mediaType: got.MediaType, digest: got.Digest.String(), cache: metrics.ResultMiss, rateLimit: got.RateLimit}
	if got.Stale {
		markStale(man)
	}
	return man, nil
}

// remember caches a fetched manifest, and what the tag answered: as the
// tag's meaning only if nothing can have been substituted for it (see
// tagindex.go), else as the answer for this client's Accept class.
func (m *Mirror) remember(rt route, got *upstream.Manifest, accept []string) error {
	if err := m.opts.Store.Put(got.Digest, got.MediaType, got.Body); err != nil {
		return err
	}
	if rt.ref.isDigest() {
		return nil
	}
	e := tagEntry{t: cache.Tag{Digest: got.Digest, MediaType: got.MediaType}}
	if !isMeaning(accept, got.MediaType) {
		e.class = acceptClass(accept)
	}
	at := m.now()
	if got.Stale {
		// A parent mirror's stale answer is no fresher here: recorded as
		// already expired, it is served stale and revalidated next time.
		at = at.Add(-m.opts.TagTTL)
	}
	return m.storeTagAt(rt, e, at)
}

// servableStale says an upstream failure is an outage or a rate limit, when
// serving the last known answer beats failing, rather than a definite "no".
func servableStale(err error) bool {
	return causeOf(err).servesStale()
}
