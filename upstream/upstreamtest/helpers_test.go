package upstreamtest

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"
)

// client never follows redirects, so tests see the 307 itself.
var client = &http.Client{
	Timeout:       5 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

type reply struct {
	status int
	header http.Header
	body   []byte
}

// do sends one request and reads the whole answer.
func do(t *testing.T, method, u string, hdr http.Header) reply {
	t.Helper()
	return doWith(t, client, method, u, hdr)
}

// doWith is do with a client of the test's own, for tests that count
// connections.
func doWith(t *testing.T, c *http.Client, method, u string, hdr http.Header) reply {
	t.Helper()
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return reply{resp.StatusCode, resp.Header, body}
}

// token asks the token endpoint for pull on repo, with Basic creds if user
// is set, and returns the token.
func token(t *testing.T, h *Hub, repo, user, pass string) string {
	t.Helper()
	q := url.Values{"service": {"registry.docker.io"}, "scope": {"repository:" + repo + ":pull"}}
	req, _ := http.NewRequest(http.MethodGet, h.Realm+"?"+q.Encode(), nil)
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("token status %d", resp.StatusCode)
	}
	var tr tokenResponse
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil {
		t.Fatal(err)
	}
	return tr.Token
}

func bearer(tok string) http.Header {
	return http.Header{"Authorization": {"Bearer " + tok}}
}

// seeded starts a Hub with the standard images and indexes them by Ref.
func seeded(t *testing.T, opts Options) (*Hub, map[string]Seeded) {
	t.Helper()
	h := New(t, opts)
	all, err := h.SeedStandard()
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]Seeded{}
	for _, s := range all {
		m[s.Ref] = s
	}
	return h, m
}

// errorCode returns the first OCI error code of a body.
func errorCode(t *testing.T, body []byte) string {
	t.Helper()
	var e struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) == 0 {
		t.Fatalf("not an OCI error body: %q", body)
	}
	return e.Errors[0].Code
}

func wait(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}
