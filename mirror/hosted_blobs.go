package mirror

import "net/http"

func (m *Mirror) hostedBlobMethod(w http.ResponseWriter, r *http.Request, rt route) {
	switch {
	case isRead(r.Method):
		m.serveHostedBlob(w, r, rt)
	case r.Method == http.MethodDelete:
		m.deleteHostedBlob(w, rt)
	default:
		writeError(w, errMethod, errNotFound)
	}
}

// serveHostedBlob serves a blob of the repository from the shared store;
// only verified content was ever linked, so it is served as it is.
func (m *Mirror) serveHostedBlob(w http.ResponseWriter, r *http.Request, rt route) {
	f, _, err := m.hosted.HostedBlob(rt.repo, rt.digest)
	if err != nil {
		writeHostedError(w, err, errBlobUnknown)
		return
	}
	serveFile(w, r, rt.digest, f)
}

// deleteHostedBlob unlinks the blob from the repository; its bytes go at
// the next hosted collection if nothing else hosted refers to them.
func (m *Mirror) deleteHostedBlob(w http.ResponseWriter, rt route) {
	if err := m.hosted.Unlink(rt.repo, rt.digest); err != nil {
		writeHostedError(w, err, errBlobUnknown)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}
