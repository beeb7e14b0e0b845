package mirror

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"
)

// The short cut answers exactly as http.ServeContent does, and leaves
// ranges and preconditions to it.
func TestSmallBodyAnswersAsServeContent(t *testing.T) {
	body := []byte(`{"schemaVersion":2}`)
	cases := []struct {
		method string
		header map[string]string
		status int
	}{
		{http.MethodGet, nil, http.StatusOK},
		{http.MethodHead, nil, http.StatusOK},
		{http.MethodGet, map[string]string{"Range": "bytes=2-5"}, http.StatusPartialContent},
		{http.MethodGet, map[string]string{"If-None-Match": `"x"`}, http.StatusOK},
		{http.MethodGet, map[string]string{"If-Match": `"x"`}, http.StatusPreconditionFailed},
	}
	for _, c := range cases {
		answer := func(serve func(http.ResponseWriter, *http.Request)) *httptest.ResponseRecorder {
			r := httptest.NewRequest(c.method, "/v2/a/manifests/latest", nil)
			for k, v := range c.header {
				r.Header.Set(k, v)
			}
			w := httptest.NewRecorder()
			w.Header().Set("Etag", `"sha256:abc"`)
			w.Header().Set("Content-Type", "application/vnd.oci.image.index.v1+json") // serveManifest always sets it
			serve(w, r)
			return w
		}
		got := answer(func(w http.ResponseWriter, r *http.Request) { serveSmallBody(w, r, body) })
		want := answer(func(w http.ResponseWriter, r *http.Request) {
			http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
		})
		if got.Code != c.status || got.Code != want.Code || !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) ||
			!reflect.DeepEqual(got.Header(), want.Header()) {
			t.Errorf("%s %v: got %d %v %q; ServeContent %d %v %q (want status %d)", c.method, c.header,
				got.Code, got.Header(), got.Body, want.Code, want.Header(), want.Body, c.status)
		}
	}
}
