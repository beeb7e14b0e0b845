package mirror

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/metrics"
)

// uploadMethod is the blob-upload API of the distribution spec:
// POST starts (or, with ?digest=, is) an upload, or mounts with ?mount=;
// PATCH appends; PUT ?digest= appends what is left and finishes; GET
// reports progress; DELETE cancels.
func (m *Mirror) uploadMethod(w http.ResponseWriter, r *http.Request, rt route) {
	switch {
	case r.Method == http.MethodPost && rt.upload == "":
		m.startUpload(w, r, rt)
	case rt.upload == "":
		writeError(w, errMethod, errNotFound)
	case r.Method == http.MethodPatch:
		m.patchUpload(w, r, rt)
	case r.Method == http.MethodPut:
		m.finishUpload(w, r, rt)
	case isRead(r.Method):
		m.uploadStatus(w, rt)
	case r.Method == http.MethodDelete:
		m.cancelUpload(w, rt)
	default:
		writeError(w, errMethod, errNotFound)
	}
}

// startUpload answers POST. oras needs exactly 202 for a session; a mount
// or a monolithic upload answers 201 with the blob's location.
func (m *Mirror) startUpload(w http.ResponseWriter, r *http.Request, rt route) {
	q := r.URL.Query()
	if mount := q.Get("mount"); mount != "" && m.mount(w, rt, mount, q.Get("from")) {
		return
	}
	s, err := m.uploads.reserve(rt.repo)
	if err == nil {
		s.buf, err = m.hosted.NewUpload()
		if err != nil {
			m.uploads.end(s, true)
		}
	}
	if err != nil {
		writeHostedError(w, err, errUploadUnknown)
		return
	}
	m.opts.Metrics.Uploads.WithLabelValues(metrics.UploadStarted).Inc()
	if d := q.Get("digest"); d != "" {
		m.finish(w, r, rt, s, d)
		return
	}
	m.releaseWithState(w, rt.repo, s, http.StatusAccepted)
}

// releaseWithState answers with the session's progress, read before the
// next request may change it.
func (m *Mirror) releaseWithState(w http.ResponseWriter, repo string, s *session, status int) {
	size := s.buf.Size()
	m.uploads.release(s)
	writeUploadState(w, repo, s.id, size, status)
}

// mount links a blob the store has into the repository. A mount that
// cannot be made is no error: the client gets a session and uploads.
func (m *Mirror) mount(w http.ResponseWriter, rt route, mount, from string) bool {
	d, err := parseHostedDigest(mount)
	if err != nil {
		return false
	}
	from, hosted := m.regs.hosted.match("", from)
	if !hosted {
		from = "" // mirrored content: whatever the store holds
	}
	if err := m.hosted.Mount(rt.repo, d, from); err != nil {
		return false
	}
	writeBlobCreated(w, rt.repo, d)
	return true
}

func (m *Mirror) patchUpload(w http.ResponseWriter, r *http.Request, rt route) {
	s, err := m.uploads.acquire(rt.repo, rt.upload)
	if err != nil {
		writeError(w, err, errUploadUnknown)
		return
	}
	if err := m.receive(w, r, s); err != nil {
		m.failed(s, err)
		writeHostedError(w, err, errUploadUnknown)
		return
	}
	m.releaseWithState(w, rt.repo, s, http.StatusAccepted)
}

// finishUpload answers PUT ?digest=: containerd and Docker send the whole
// blob here after an empty POST, others only the digest after PATCHes.
func (m *Mirror) finishUpload(w http.ResponseWriter, r *http.Request, rt route) {
	s, err := m.uploads.acquire(rt.repo, rt.upload)
	if err != nil {
		writeError(w, err, errUploadUnknown)
		return
	}
	m.finish(w, r, rt, s, r.URL.Query().Get("digest"))
}

// finish takes the rest of the body and commits the blob, or ends the
// session with nothing stored. skopeo needs exactly 201.
func (m *Mirror) finish(w http.ResponseWriter, r *http.Request, rt route, s *session, digest string) {
	d, err := parseHostedDigest(digest)
	if err == nil {
		err = m.receive(w, r, s)
	}
	if err == nil {
		err = s.buf.Commit(rt.repo, d)
	}
	if err != nil {
		m.failed(s, err)
		writeHostedError(w, err, errUploadUnknown)
		return
	}
	m.uploads.end(s, false)
	m.opts.Metrics.Uploads.WithLabelValues(metrics.UploadCompleted).Inc()
	writeBlobCreated(w, rt.repo, d)
}

// failed ends a session that cannot go on. An out-of-order chunk is the
// exception: the client may ask where the upload stands and resume.
func (m *Mirror) failed(s *session, err error) {
	var ae *apiError
	if errors.As(err, &ae) && ae.status == http.StatusRequestedRangeNotSatisfiable {
		m.uploads.release(s)
		return
	}
	m.uploads.end(s, true)
	m.opts.Metrics.Uploads.WithLabelValues(metrics.UploadFailed).Inc()
}

func (m *Mirror) uploadStatus(w http.ResponseWriter, rt route) {
	s, err := m.uploads.acquire(rt.repo, rt.upload)
	if err != nil {
		writeError(w, err, errUploadUnknown)
		return
	}
	m.releaseWithState(w, rt.repo, s, http.StatusNoContent)
}

func (m *Mirror) cancelUpload(w http.ResponseWriter, rt route) {
	s, err := m.uploads.acquire(rt.repo, rt.upload)
	if err != nil {
		writeError(w, err, errUploadUnknown)
		return
	}
	m.uploads.end(s, true)
	m.opts.Metrics.Uploads.WithLabelValues(metrics.UploadFailed).Inc()
	w.WriteHeader(http.StatusNoContent)
}

// receive appends the request body to the session. A Content-Range must
// start where the upload stands (else 416, and the session lives on); the
// body is bounded by the blob size limit and the hosted quota. A client
// that disconnects midway ends only its own session.
func (m *Mirror) receive(w http.ResponseWriter, r *http.Request, s *session) error {
	start, end, ranged, err := contentRange(r.Header.Get("Content-Range"))
	if err != nil {
		return err
	}
	if ranged && start != s.buf.Size() {
		return apiErr(errRangeInvalid, "chunk starts at %d but the upload has %d bytes", start, s.buf.Size())
	}
	room := m.room(s)
	n, err := copyLarge(s.buf, io.LimitReader(r.Body, room+1))
	m.opts.Metrics.UploadBytes.Add(float64(n))
	noteReceived(w, n)
	switch {
	case err != nil:
		return fmt.Errorf("receiving upload: %w", err)
	case n > room:
		return m.overLimit()
	case ranged && s.buf.Size() != end+1:
		return apiErr(errUploadInvalid, "Content-Range ends at %d but the upload has %d bytes", end, s.buf.Size())
	}
	return nil
}

// room is how many more bytes the session may take.
func (m *Mirror) room(s *session) int64 {
	room := m.opts.MaxUploadSize - s.buf.Size()
	if q := m.opts.HostedMaxSize; q > 0 {
		room = min(room, q-m.hosted.HostedSize()-s.buf.Size())
	}
	return max(room, 0)
}

func (m *Mirror) overLimit() error {
	if q := m.opts.HostedMaxSize; q > 0 && m.hosted.HostedSize()+m.opts.MaxUploadSize > q {
		return apiErr(errDenied, "hosted storage quota (%s) reached", humanBytes(float64(q)))
	}
	return apiErr(errSizeInvalid, "blob larger than the %s an upload may be", humanBytes(float64(m.opts.MaxUploadSize)))
}

// contentRange reads a chunk's "start-end" (inclusive; some clients write
// "bytes start-end").
func contentRange(v string) (start, end int64, ok bool, err error) {
	if v == "" {
		return 0, 0, false, nil
	}
	v = strings.TrimPrefix(strings.TrimPrefix(v, "bytes "), "bytes=")
	a, b, found := strings.Cut(v, "-")
	start, err1 := strconv.ParseInt(a, 10, 64)
	end, err2 := strconv.ParseInt(b, 10, 64)
	if !found || err1 != nil || err2 != nil || start < 0 || end < start-1 {
		return 0, 0, false, apiErr(errRangeInvalid, "bad Content-Range %q", v)
	}
	return start, end, true, nil
}

func uploadPath(repo, id string) string { return "/v2/" + repo + "/blobs/uploads/" + id }

// writeUploadState tells the client where its upload stands: Range is the
// inclusive span received ("0-0" before the first byte, as registry:2).
func writeUploadState(w http.ResponseWriter, repo, id string, size int64, status int) {
	h := w.Header()
	h.Set("Location", uploadPath(repo, id))
	h.Set("Docker-Upload-UUID", id)
	h.Set("Range", fmt.Sprintf("0-%d", max(size-1, 0)))
	if status != http.StatusNoContent { // a 204 carries no Content-Length
		h.Set("Content-Length", "0")
	}
	w.WriteHeader(status)
}

func writeBlobCreated(w http.ResponseWriter, repo string, d v1.Hash) {
	h := w.Header()
	h.Set("Location", "/v2/"+repo+"/blobs/"+d.String())
	h.Set("Docker-Content-Digest", d.String())
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
}
