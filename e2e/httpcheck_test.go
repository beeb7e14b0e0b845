package e2e

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
	"testing"
	"time"
)

// hostOf is a base URL's host:port, the form image references use.
func hostOf(baseURL string) string {
	_, host, _ := strings.Cut(baseURL, "://")
	return host
}

// httpTimeout bounds one request of httpDo.
const httpTimeout = 30 * time.Second

// httpDo sends one request with Go's client, which is fine wherever the
// path is well formed; see rawRequest for the paths it would rewrite.
func httpDo(t *testing.T, method, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	return httpDoWithin(t, httpTimeout, method, url, header)
}

// httpDoWithin is httpDo with its own bound on the whole exchange.
func httpDoWithin(t *testing.T, timeout time.Duration, method, url string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	client := &http.Client{Timeout: timeout}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp, body
}

// assertOCIError checks that a refusal is the distribution spec's JSON
// error, which is what docker, containerd and skopeo print for the user.
func assertOCIError(t *testing.T, what string, resp *http.Response, body []byte, status int, code string) {
	t.Helper()
	if resp.StatusCode != status {
		t.Errorf("%s: status %d, want %d (body %q)", what, resp.StatusCode, status, body)
		return
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", what, resp.Header.Get("Content-Type"))
	}
	var e struct {
		Errors []struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) == 0 {
		t.Errorf("%s: body %q is not an OCI error (%v)", what, body, err)
		return
	}
	if e.Errors[0].Code != code {
		t.Errorf("%s: error code %s (%q), want %s", what, e.Errors[0].Code, e.Errors[0].Message, code)
	}
}
