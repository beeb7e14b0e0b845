package mirror

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
)

// blobStore is what blobs need of the cache: committed content to serve,
// and a pending blob for a fill to write and its clients to follow.
type blobStore interface {
	Open(d v1.Hash) (cache.Blob, error)
	Create(d v1.Hash, size int64, mediaType string) (cache.Pending, error)
	// Resume continues what an earlier fill of d kept; cache.ErrNotFound
	// when there is nothing to continue.
	Resume(d v1.Hash, mediaType string) (cache.Pending, error)
}

func (m *Mirror) serveBlob(w http.ResponseWriter, r *http.Request, rt route) {
	if f, err := m.opts.Store.Open(rt.digest); err == nil {
		noteCache(w, metrics.ResultHit)
		serveFile(w, r, rt.digest, f)
		return
	}
	if r.Method == http.MethodHead {
		m.headBlob(w, r, rt)
		return
	}
	noteCache(w, metrics.ResultMiss)
	m.serveFill(w, r, rt)
}

// serveFile serves committed content; http.ServeContent brings Range,
// HEAD and If-None-Match, and largeWrites the pace of the bytes.
func serveFile(w http.ResponseWriter, r *http.Request, d v1.Hash, f io.ReadSeekCloser) {
	defer f.Close()
	setBlobHeaders(w.Header(), d)
	lw := newLargeWrites(w)
	defer lw.release()
	http.ServeContent(lw, r, "", time.Time{}, f)
}

func setBlobHeaders(h http.Header, d v1.Hash) {
	h.Set("Content-Type", "application/octet-stream")
	h.Set("Docker-Content-Digest", d.String())
	h.Set("ETag", `"`+d.String()+`"`)
}

// headBlob answers a HEAD for a blob not yet filed in the cache. A blob
// being downloaded answers from its fill (a client often HEADs right after
// its GET, while the fill is still being made durable); otherwise upstream
// is asked, without downloading: clients HEAD to check existence.
func (m *Mirror) headBlob(w http.ResponseWriter, r *http.Request, rt route) {
	if size, verified, ok := m.fills.known(rt.digest); ok {
		result := metrics.ResultMiss
		if verified {
			result = metrics.ResultHit
		}
		noteCache(w, result)
		setBlobHeaders(w.Header(), rt.digest)
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		w.WriteHeader(http.StatusOK)
		return
	}
	noteCache(w, metrics.ResultMiss)
	defer waitedOnUpstream(r.Context(), time.Now())
	size, err := rt.reg.Upstream.BlobSize(r.Context(), rt.repo, rt.digest)
	if err != nil {
		writeError(w, err, errBlobUnknown)
		return
	}
	setBlobHeaders(w.Header(), rt.digest)
	if size >= 0 {
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
	}
	w.WriteHeader(http.StatusOK)
}

// serveFill streams a blob while it is being downloaded. The client follows
// the fill's temp file; it never talks to upstream itself, so leaving early
// cannot hurt the fill or the other clients.
func (m *Mirror) serveFill(w http.ResponseWriter, r *http.Request, rt route) {
	// Asked before joining: a fill this request starts may verify a small
	// blob before the next line runs, and that is still a miss.
	if _, verified, ok := m.fills.known(rt.digest); ok && verified {
		noteCache(w, metrics.ResultHit) // complete and checked; only its filing is pending
	}
	f := m.fills.join(rt.reg.Upstream, rt.repo, rt.digest)
	defer f.release()
	waitStart := time.Now()
	blob, err := f.wait(r.Context())
	waitedOnUpstream(r.Context(), waitStart)
	if err != nil {
		writeError(w, err, errBlobUnknown)
		return
	}
	setBlobHeaders(w.Header(), rt.digest)
	body := fillBody(w, r, f, blob)
	if body == nil {
		return
	}
	// The headers go now, not with the first byte: a range may wait for its
	// piece, and the client learns at once that it is coming.
	http.NewResponseController(w).Flush()
	if err := copyFlushing(w, body); errors.Is(err, cache.ErrAborted) {
		// Bytes already went out under a 200: only a broken connection
		// tells the client the blob is not whole.
		panic(http.ErrAbortHandler)
	}
}

// fillBody answers a blob still arriving: 200 with its length, or 206 for
// a single range of a blob of known size (raising the priority of the
// pieces that hold it), or 416 past the end. A multi-range gets the whole
// blob, which HTTP allows. It returns the body to copy; nil when none.
func fillBody(w http.ResponseWriter, r *http.Request, f *fill, blob followedBlob) io.Reader {
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	size := blob.Size()
	br, ok, unsatisfiable := parseRange(r.Header.Get("Range"), size)
	switch {
	case unsatisfiable:
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		w.WriteHeader(http.StatusRequestedRangeNotSatisfiable)
		return nil
	case ok:
		f.want(br.from, br.to)
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", br.from, br.to-1, size))
		h.Set("Content-Length", strconv.FormatInt(br.to-br.from, 10))
		w.WriteHeader(http.StatusPartialContent)
		return blob.NewRangeReader(r.Context(), br.from, br.to, br.completes(size))
	}
	if size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(size, 10))
	}
	w.WriteHeader(http.StatusOK)
	return blob.NewReader(r.Context(), 0)
}

var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// copyFlushing sends what the fill has as soon as it has it: a follower
// must see bytes while upstream is still sending, not when a buffer fills.
func copyFlushing(w http.ResponseWriter, src io.Reader) error {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	rc := http.NewResponseController(w)
	for {
		n, err := src.Read(*bp)
		if n > 0 {
			if _, werr := w.Write((*bp)[:n]); werr != nil {
				return werr
			}
			rc.Flush()
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}
