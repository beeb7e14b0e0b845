package upstreamtest

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// emptyJSON is the OCI empty descriptor's content, the config of an
// artifact that has none (image-spec's "guidance for an empty descriptor").
const emptyJSON = "{}"

// AddReferrer stores in repo an artifact manifest whose subject is the
// manifest subject (already in repo), as `oras attach` or `cosign attest`
// pushes one, and returns its digest. It panics if subject is not stored.
func (h *Hub) AddReferrer(repo string, subject v1.Hash, artifactType string) v1.Hash {
	target, ok := h.store.manifest(repo, subject.String())
	if !ok {
		panic(fmt.Sprintf("upstreamtest.AddReferrer: %s is not in %s", subject, repo))
	}
	cfg := h.store.putBlob(repo, []byte(emptyJSON))
	// A fresh payload each time: two signatures of one image are two
	// artifacts, not one stored twice.
	payload := []byte(fmt.Sprintf("%s of %s, %s", artifactType, subject, rand.Text()))
	layer := h.store.putBlob(repo, payload)
	m := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  artifactType,
		Config:        v1.Descriptor{MediaType: "application/vnd.oci.empty.v1+json", Digest: cfg, Size: int64(len(emptyJSON))},
		Layers:        []v1.Descriptor{{MediaType: "application/octet-stream", Digest: layer, Size: int64(len(payload))}},
		Subject:       &v1.Descriptor{MediaType: target.mediaType, Digest: subject, Size: int64(len(target.raw))},
		Annotations:   map[string]string{"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
	}
	raw, err := json.Marshal(m)
	must(err, "AddReferrer")
	return h.store.putManifest(repo, types.OCIManifestSchema1, raw)
}

// PushReferrersTag does what clients do on a registry without the
// referrers API: it stores an index of subject's referrers and tags it
// sha256-<hex> (the distribution spec's referrers tag schema).
func (h *Hub) PushReferrersTag(repo string, subject v1.Hash) v1.Hash {
	idx := referrersIndex(h.store.referrers(repo, subject))
	raw, err := json.Marshal(idx)
	must(err, "PushReferrersTag")
	d := h.store.putManifest(repo, types.OCIImageIndex, raw)
	h.Tag(repo, subject.Algorithm+"-"+subject.Hex, d)
	return d
}

// serveReferrers answers GET /v2/<repo>/referrers/<digest> as the
// distribution spec (1.1) says: always 200 with an index, empty if nothing
// refers to the digest, filtered by artifactType when asked (and then
// saying so in OCI-Filters-Applied).
func (h *Hub) serveReferrers(w http.ResponseWriter, r *http.Request, rt route) {
	if h.paging.noReferrers.Load() {
		http.NotFound(w, r) // an unknown route, not an OCI error
		return
	}
	subject, err := v1.NewHash(rt.ref)
	if err != nil {
		h.writeError(w, errDigestInvalid)
		return
	}
	descs := h.store.referrers(rt.repo, subject)
	q := r.URL.Query()
	if at := q.Get("artifactType"); at != "" {
		descs = slices.DeleteFunc(descs, func(d v1.Descriptor) bool { return d.ArtifactType != at })
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	body, err := json.Marshal(referrersIndex(h.referrersPage(w, r, descs)))
	must(err, "serveReferrers")
	w.Header().Set("Content-Type", string(types.OCIImageIndex))
	w.Write(body)
}

// referrersPage cuts descs to the configured page size, with a Link to the
// next page that keeps the client's query (its filter) and adds page=.
func (h *Hub) referrersPage(w http.ResponseWriter, r *http.Request, descs []v1.Descriptor) []v1.Descriptor {
	size := int(h.paging.referrersPage.Load())
	if size <= 0 {
		return descs
	}
	q := r.URL.Query()
	start, _ := strconv.Atoi(q.Get("page"))
	start = min(max(start, 0)*size, len(descs))
	end := min(start+size, len(descs))
	if end < len(descs) {
		q.Set("page", strconv.Itoa(end/size))
		w.Header().Set("Link", fmt.Sprintf(`<%s?%s>; rel="next"`, r.URL.Path, q.Encode()))
	}
	return descs[start:end]
}

func referrersIndex(descs []v1.Descriptor) v1.IndexManifest {
	return v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: append([]v1.Descriptor{}, descs...)}
}

// referrers lists the manifests of repo whose subject is subject, in
// digest order, each described as the spec says: its artifactType, or its
// config's media type when it has none, and its annotations.
func (s *store) referrers(repo string, subject v1.Hash) []v1.Descriptor {
	s.mu.RLock()
	defer s.mu.RUnlock()
	r, ok := s.repos[repo]
	if !ok {
		return nil
	}
	var out []v1.Descriptor
	for d, m := range r.manifests {
		var probe v1.Manifest
		if json.Unmarshal(m.raw, &probe) != nil || probe.Subject == nil || probe.Subject.Digest != subject {
			continue
		}
		at := probe.ArtifactType
		if at == "" {
			at = string(probe.Config.MediaType)
		}
		out = append(out, v1.Descriptor{MediaType: m.mediaType, Digest: d, Size: int64(len(m.raw)), ArtifactType: at, Annotations: probe.Annotations})
	}
	slices.SortFunc(out, func(a, b v1.Descriptor) int { return strings.Compare(a.Digest.String(), b.Digest.String()) })
	return out
}
