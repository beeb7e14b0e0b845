package mirror

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream"
)

// referrersStore keeps one referrers index per subject, the way a tag is
// kept: the index as content, and when upstream was last asked.
type referrersStore interface {
	Referrers(upstream, repo string, subject v1.Hash) (cache.Tag, error)
	SetReferrers(upstream, repo string, subject v1.Hash, t cache.Tag) error
}

// serveReferrers answers the OCI 1.1 referrers API for a mirrored
// repository: every manifest whose subject is the digest (signatures,
// SBOMs, attestations), filtered by artifactType on request. The spec
// wants an index even when nothing refers to the subject, never a 404.
func (m *Mirror) serveReferrers(w http.ResponseWriter, r *http.Request, rt route) {
	idx, result, err := m.referrers(r.Context(), rt)
	if err != nil {
		writeError(w, err, errNameUnknown)
		return
	}
	if at := r.URL.Query().Get("artifactType"); at != "" {
		idx.Manifests = slices.DeleteFunc(idx.Manifests, func(d v1.Descriptor) bool { return d.ArtifactType != at })
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	noteCache(w, result)
	if result == metrics.ResultStale {
		w.Header().Set("Warning", `110 - "stale"`)
	}
	w.Header().Set("Content-Type", string(types.OCIImageIndex))
	json.NewEncoder(w).Encode(idx)
}

// referrers serves the cached index while it is younger than the tag TTL:
// new signatures appear upstream as tags move, and a cached answer goes
// stale as fast. Past it upstream is asked again, and if upstream cannot
// answer the cached index is served stale.
func (m *Mirror) referrers(ctx context.Context, rt route) (*v1.IndexManifest, string, error) {
	t, err := m.opts.Store.Referrers(rt.reg.Host, rt.repo, rt.digest)
	cached, ok := m.cachedReferrers(t.Digest, err)
	if ok && m.ages.age(referrersKey(rt), t.FetchedAt) < m.opts.TagTTL {
		return cached, metrics.ResultHit, nil
	}
	if ok {
		ctx = upstream.WithoutRetries(ctx) // the cached index beats a backoff
	}
	fresh, err := m.fetchReferrers(ctx, rt)
	switch {
	case err == nil && fresh.Stale:
		return fresh.Index, metrics.ResultStale, nil
	case err == nil:
		return fresh.Index, metrics.ResultMiss, nil
	case ok && servableStale(err):
		m.log.Warn("serving stale referrers", "repo", rt.repo, "subject", rt.digest, "error", err)
		return cached, metrics.ResultStale, nil
	}
	return nil, "", err
}

func referrersKey(rt route) string {
	return "referrers " + rt.reg.Host + "/" + rt.repo + "@" + rt.digest.String()
}

func (m *Mirror) cachedReferrers(d v1.Hash, lookup error) (*v1.IndexManifest, bool) {
	if lookup != nil {
		return nil, false
	}
	body, _, err := m.opts.Store.ReadAll(d)
	if err != nil {
		return nil, false
	}
	idx, err := v1.ParseIndexManifest(bytes.NewReader(body))
	return idx, err == nil
}

// fetchReferrers asks upstream once for every client asking at the same
// moment, detached from the client like a manifest fetch, and caches the
// unfiltered index by subject.
func (m *Mirror) fetchReferrers(ctx context.Context, rt route) (*upstream.ReferrersIndex, error) {
	key := "REFERRERS " + rt.reg.Host + "/" + rt.repo + "@" + rt.digest.String()
	defer waitedOnUpstream(ctx, time.Now())
	v, err, _ := m.manifests.Do(key, func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), manifestTimeout)
		defer cancel()
		got, err := rt.reg.Upstream.Referrers(ctx, rt.repo, rt.digest)
		if lacksReferrersAPI(err) {
			got, err = m.referrersByTag(ctx, rt)
		}
		if err != nil {
			return nil, err
		}
		return got, m.rememberReferrers(rt, got)
	})
	if err != nil {
		return nil, err
	}
	// A copy: the caller filters it, and other callers share the original.
	got := *v.(*upstream.ReferrersIndex)
	idx := *got.Index
	idx.Manifests = slices.Clone(idx.Manifests)
	got.Index = &idx
	return &got, nil
}

func (m *Mirror) rememberReferrers(rt route, got *upstream.ReferrersIndex) error {
	body, err := json.Marshal(got.Index)
	if err != nil {
		return err
	}
	d, _, err := v1.SHA256(bytes.NewReader(body))
	if err != nil {
		return err
	}
	if err := m.opts.Store.Put(d, string(types.OCIImageIndex), body); err != nil {
		return err
	}
	at := m.now().UTC()
	if got.Stale {
		// As a parent's stale manifest (remember): already expired here,
		// so the next request asks the parent again.
		at = at.Add(-m.opts.TagTTL)
	}
	m.ages.stored(referrersKey(rt), at)
	return m.opts.Store.SetReferrers(rt.reg.Host, rt.repo, rt.digest, cache.Tag{
		Digest: d, MediaType: string(types.OCIImageIndex), FetchedAt: at,
	})
}

// referrersByTag reads the referrers tag schema that clients (oras,
// containerd, cosign's OCI 1.1 mode) push to registries without the API:
// an index tagged sha256-<hex>. No such tag means no referrers, while a
// repository that is not there stays a 404 NAME_UNKNOWN.
func (m *Mirror) referrersByTag(ctx context.Context, rt route) (*upstream.ReferrersIndex, error) {
	tag := route{kind: routeManifest, reg: rt.reg, repo: rt.repo, ref: reference{tag: rt.digest.Algorithm + "-" + rt.digest.Hex}}
	man, err := m.resolveManifest(ctx, tag, []string{string(types.OCIImageIndex)})
	empty := &upstream.ReferrersIndex{Index: &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}}
	if err != nil {
		if classify(err, errManifestUnknown).errorCode == errManifestUnknown {
			return empty, nil
		}
		return nil, err
	}
	stale := man.cache == metrics.ResultStale
	idx, err := v1.ParseIndexManifest(bytes.NewReader(man.body))
	if err != nil || !types.MediaType(man.mediaType).IsIndex() {
		m.log.Warn("referrers tag is not an index", "repo", rt.repo, "tag", tag.ref.tag, "mediaType", man.mediaType)
		empty.Stale = stale
		return empty, nil
	}
	idx.MediaType = types.OCIImageIndex
	if idx.Manifests == nil {
		idx.Manifests = []v1.Descriptor{}
	}
	return &upstream.ReferrersIndex{Index: idx, Stale: stale}, nil
}
