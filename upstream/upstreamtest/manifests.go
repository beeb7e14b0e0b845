package upstreamtest

import (
	"net/http"
	"strings"
)

// serveManifest answers GET and HEAD of a manifest by tag or digest.
func (h *Hub) serveManifest(w http.ResponseWriter, r *http.Request, rt route) {
	if h.headQuirk(w, r) {
		return
	}
	m, ok := h.store.manifest(rt.repo, rt.ref)
	if !ok {
		h.writeError(w, errManifestUnknown)
		return
	}
	m, rejected := h.negotiate(rt.repo, !strings.HasPrefix(rt.ref, "sha256:"), m, r.Header)
	if rejected != nil {
		h.writeError(w, *rejected)
		return
	}
	h.rateLimitHeaders(w, r)
	hdr := w.Header()
	hdr.Set("Content-Type", string(m.mediaType))
	hdr.Set("Docker-Content-Digest", m.digest.String())
	hdr.Set("Content-Length", itoa(int64(len(m.raw))))
	hdr.Set("ETag", `"`+m.digest.String()+`"`)
	if h.hideDigest(r) {
		hdr.Del("Docker-Content-Digest")
		hdr.Del("ETag")
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodGet {
		w.Write(m.raw)
	}
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
