package upstreamtest

import (
	"net/http"
	"strings"
)

// serveManifest answers GET and HEAD of a manifest by tag or digest.
func (h *Hub) serveManifest(w http.ResponseWriter, r *http.Request, rt route) {
	m, ok := h.store.manifest(rt.repo, rt.ref)
	// Only tags are downgraded: a digest names exact bytes, and answering it
	// with other bytes would break every client's digest check.
	if ok && !strings.HasPrefix(rt.ref, "sha256:") && wantsChild(m.mediaType, r.Header) {
		m, ok = h.childManifest(rt.repo, m)
	}
	if !ok {
		h.writeError(w, errManifestUnknown)
		return
	}
	h.rateLimitHeaders(w, r)
	hdr := w.Header()
	hdr.Set("Content-Type", string(m.mediaType))
	hdr.Set("Docker-Content-Digest", m.digest.String())
	hdr.Set("Content-Length", itoa(int64(len(m.raw))))
	hdr.Set("ETag", `"`+m.digest.String()+`"`)
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(m.raw)
	}
}

func (h *Hub) childManifest(repo string, list manifest) (manifest, bool) {
	d, ok := amd64Child(list.raw)
	if !ok {
		return manifest{}, false
	}
	return h.store.manifest(repo, d.String())
}

// rateLimitHeaders mirrors Hub's pull accounting: every manifest GET spends
// one pull and HEADs are free, which is why mirrors revalidate with HEAD.
// The allowance is reported, never enforced; use FailNext for a 429.
func (h *Hub) rateLimitHeaders(w http.ResponseWriter, r *http.Request) {
	n := h.rateRemaining.Load()
	if r.Method == http.MethodGet {
		n = h.rateRemaining.Add(-1)
	}
	w.Header().Set("ratelimit-limit", itoa(rateLimit)+";w=21600")
	w.Header().Set("ratelimit-remaining", itoa(max(n, 0))+";w=21600")
}
