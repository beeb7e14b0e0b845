package upstreamtest

import (
	"bytes"
	"net/http"
	"strings"
	"time"
)

// serveCDN is the CDN listener: it serves blob bytes at signed URLs and
// knows nothing of tokens, so any Authorization header it receives is a
// leak and is counted.
func (h *Hub) serveCDN(w http.ResponseWriter, r *http.Request) {
	h.count.cdnRequest(r)
	if h.injectFault(w, EndpointCDN) {
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hex, ok := cdnHex(r.URL.Path)
	if !ok {
		http.NotFound(w, r)
		return
	}
	stat := h.blobStats.get(hex)
	if r.Method == http.MethodGet {
		h.count.cdnBlobGet(hex)
		h.ranges.record(hex, r.Header.Get("Range"))
		defer stat.begin(r)()
	}
	if !h.validSignature(r.URL) {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	content, ok := h.store.content(hex)
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.sendBlob(w, r, hex, content, stat)
}

// cdnHex extracts the digest hex from a blobPath.
func cdnHex(path string) (string, bool) {
	rest, ok := strings.CutPrefix(path, cdnPrefix)
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 3 || parts[2] != "data" || !isHex64(parts[1]) {
		return "", false
	}
	return parts[1], parts[0] == parts[1][:2]
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdef", c) {
			return false
		}
	}
	return true
}

// sendBlob serves the bytes with http.ServeContent, so Range and HEAD behave
// as on a real CDN, while a bodyWriter underneath applies this GET's faults
// and the bandwidth cap.
func (h *Hub) sendBlob(w http.ResponseWriter, r *http.Request, hex string, content []byte, stat *blobStat) {
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("ETag", `"`+hex+`"`)
	bw := h.newBodyWriter(w, r, stat)
	if r.Method == http.MethodGet {
		plan := h.faults.takeCDN(hex)
		content = bw.arm(plan, content)
	}
	http.ServeContent(bw, r, "", time.Time{}, bytes.NewReader(content))
	bw.finish()
}

// flipped returns a copy of b with one byte inverted: same length, wrong
// digest.
func flipped(b []byte) []byte {
	out := bytes.Clone(b)
	if len(out) > 0 {
		out[len(out)/2] ^= 0xff
	}
	return out
}
