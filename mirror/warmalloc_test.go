package mirror

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// reusedWriter is a ResponseWriter that allocates nothing once warm, so
// AllocsPerRun counts the handler's allocations only.
type reusedWriter struct {
	h      http.Header
	status int
	n      int
}

func (w *reusedWriter) Header() http.Header         { return w.h }
func (w *reusedWriter) WriteHeader(code int)        { w.status = code }
func (w *reusedWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }

// A warm manifest hit allocates at most this much per request, for each of
// the three requests a pull sends. Before the header values shared one
// array, the digest string skipped v1.Hash.String's Sprintf, the API
// version header skipped canonicalisation, the client address and the
// repository name were cut from RemoteAddr and the path instead of built,
// and a disabled log skipped the access line's attributes, each took 12
// more (GET by tag 24, HEAD 23, by digest 20 in this test).
func TestWarmManifestAllocations(t *testing.T) {
	h := warmTagHandler(t)
	for _, c := range []struct {
		method, path string
		max          float64
	}{
		{http.MethodGet, "/v2/library/alpine/manifests/latest", 12},
		{http.MethodHead, "/v2/library/alpine/manifests/latest", 11},
		{http.MethodGet, "/v2/library/alpine/manifests/" + warmManifestDigest.String(), 8},
	} {
		req := httptest.NewRequest(c.method, c.path, nil)
		req.Header.Set("Accept", strings.Join(defaultAccept, ", "))
		w := &reusedWriter{h: http.Header{}}
		n := testing.AllocsPerRun(500, func() {
			clear(w.h)
			w.status = 0
			h.ServeHTTP(w, req)
		})
		if w.status != http.StatusOK {
			t.Fatalf("%s %s: status %d", c.method, c.path, w.status)
		}
		if n > c.max {
			t.Errorf("%s %s: %v allocations per request, want at most %v", c.method, c.path, n, c.max)
		}
		t.Logf("%s %s: %v allocations", c.method, c.path, n)
	}
}

// leadingParts is the join it replaces, empty segments included.
func TestLeadingPartsIsJoin(t *testing.T) {
	for _, rest := range []string{"a/manifests/x", "library/alpine/blobs/sha256:0", "/manifests/x", "a//b/tags/list",
		"ghcr.io/o/t/manifests/v1", "//", "a/b/", "é/ü/manifests/ß"} {
		parts := strings.Split(rest, "/")
		if len(parts) < 3 {
			t.Fatalf("%q: fewer than 3 parts", rest)
		}
		if got, want := leadingParts(rest, parts), strings.Join(parts[:len(parts)-2], "/"); got != want {
			t.Errorf("%q: %q, want %q", rest, got, want)
		}
	}
}
