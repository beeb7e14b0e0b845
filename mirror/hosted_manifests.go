package mirror

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"time"
)

func (m *Mirror) hostedManifestMethod(w http.ResponseWriter, r *http.Request, rt route) {
	switch {
	case isRead(r.Method):
		m.serveHostedManifest(w, r, rt)
	case r.Method == http.MethodPut:
		m.putManifest(w, r, rt)
	case r.Method == http.MethodDelete:
		m.deleteManifest(w, rt)
	default:
		writeError(w, errMethod, errNotFound)
	}
}

// serveHostedManifest serves what was pushed, as it was pushed: a missing
// tag is a 404 here, never a question for Docker Hub.
func (m *Mirror) serveHostedManifest(w http.ResponseWriter, r *http.Request, rt route) {
	body, mediaType, d, err := m.hosted.HostedManifest(rt.repo, rt.ref.tag, rt.ref.digest)
	if err != nil {
		writeHostedError(w, err, errManifestUnknown)
		return
	}
	digest := d.String() // as pushed: a sha512 name is answered in kind
	h := w.Header()
	h.Set("Content-Type", mediaType)
	h.Set("Docker-Content-Digest", digest)
	h.Set("ETag", `"`+digest+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

// putManifest checks and stores a pushed manifest; its tag moves only
// once everything it names is there (cache.PushManifest).
func (m *Mirror) putManifest(w http.ResponseWriter, r *http.Request, rt route) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxManifestPush+1))
	if err != nil {
		writeError(w, err, errManifestUnknown)
		return
	}
	noteReceived(w, int64(len(body)))
	p, err := parseManifestPush(rt, r.Header.Get("Content-Type"), r.URL.Query()["tag"], body)
	if err == nil {
		err = m.hosted.PushManifest(p)
	}
	if err != nil {
		writeHostedError(w, err, errManifestUnknown)
		return
	}
	h := w.Header()
	h.Set("Location", "/v2/"+rt.repo+"/manifests/"+p.Digest.String())
	h.Set("Docker-Content-Digest", p.Digest.String())
	if p.Subject != "" {
		h.Set("OCI-Subject", p.Subject)
	}
	if rt.ref.isDigest() && len(p.Tags) > 0 {
		h.Set("OCI-Tag", strings.Join(p.Tags, ", "))
	}
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}

// deleteManifest deletes a manifest by digest (with the tags that name
// it) or only a tag; the blobs go at the next hosted collection.
func (m *Mirror) deleteManifest(w http.ResponseWriter, rt route) {
	var err error
	if rt.ref.isDigest() {
		err = m.hosted.DeleteHostedManifest(rt.repo, rt.ref.digest)
	} else {
		err = m.hosted.DeleteHostedTag(rt.repo, rt.ref.tag)
	}
	if err != nil {
		writeHostedError(w, err, errManifestUnknown)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
