package mirror

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
)

// serveHostedTags lists a hosted repository's tags in lexical order,
// paginated with n and last as the distribution spec says.
func (m *Mirror) serveHostedTags(w http.ResponseWriter, r *http.Request, rt route) {
	if !isRead(r.Method) {
		writeError(w, errMethod, errNotFound)
		return
	}
	q := r.URL.Query()
	tags, err := m.hosted.HostedTags(rt.repo)
	if err != nil {
		writeHostedError(w, err, errNameUnknown)
		return
	}
	n := len(tags)
	if q.Has("n") {
		if n, err = pageSize(q.Get("n")); err != nil {
			writeError(w, err, errNotFound)
			return
		}
	}
	page, more := pageAfter(tags, q.Get("last"), n)
	if more && n > 0 {
		next := url.Values{"n": {strconv.Itoa(n)}, "last": {page[len(page)-1]}}
		w.Header().Set("Link", `</v2/`+rt.repo+`/tags/list?`+next.Encode()+`>; rel="next"`)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(struct {
		Name string   `json:"name"`
		Tags []string `json:"tags"`
	}{rt.repo, page})
}

// serveReferrers lists the manifests of the repository whose subject is
// the digest, as an image index; ?artifactType= filters them, and says so.
// An unknown subject has no referrers: 200 with an empty list.
func (m *Mirror) serveReferrers(w http.ResponseWriter, r *http.Request, rt route) {
	if !isRead(r.Method) {
		writeError(w, errMethod, errNotFound)
		return
	}
	all, err := m.hosted.Referrers(rt.repo, rt.digest.String())
	if err != nil {
		writeHostedError(w, err, errNameUnknown)
		return
	}
	want := r.URL.Query().Get("artifactType")
	list := []json.RawMessage{}
	for _, raw := range all {
		var d descriptor
		if json.Unmarshal(raw, &d) == nil && (want == "" || d.ArtifactType == want) {
			list = append(list, raw)
		}
	}
	if want != "" {
		w.Header().Set("OCI-Filters-Applied", "artifactType")
	}
	w.Header().Set("Content-Type", ociIndexType)
	json.NewEncoder(w).Encode(struct {
		SchemaVersion int               `json:"schemaVersion"`
		MediaType     string            `json:"mediaType"`
		Manifests     []json.RawMessage `json:"manifests"`
	}{2, ociIndexType, list})
}
