package e2e

import (
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// accessCase is one request and the access-log line it must produce.
type accessCase struct {
	method, path string
	route        string
	status       int
	cache        string // "" where no cache lookup happens
	bodyBytes    int    // filled in from the response
}

// Each request gets one JSON access line saying what an operator asks
// first: what was asked, how it was answered, how much was sent, how long
// it took, and whether the cache answered.
func TestAccessLogLines(t *testing.T) {
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seeded, err := hub.SeedStandard()
	if err != nil {
		t.Fatal(err)
	}
	alpine := seeded[0]
	layer := alpine.Blobs[len(alpine.Blobs)-1].String()
	missing := "sha256:" + strings.Repeat("0", 64)
	h := runHubmirror(t, t.TempDir(), "--upstream", hub.URL, "--log-format", "json")

	cases := []*accessCase{
		{method: "GET", path: "/v2/library/alpine/manifests/latest", route: "manifest", status: 200, cache: "miss"},
		{method: "GET", path: "/v2/library/alpine/manifests/latest", route: "manifest", status: 200, cache: "hit"},
		{method: "GET", path: "/v2/library/alpine/blobs/" + layer, route: "blob", status: 200, cache: "miss"},
		{method: "HEAD", path: "/v2/library/alpine/blobs/" + layer, route: "blob", status: 200, cache: "hit"},
		{method: "GET", path: "/v2/library/alpine/blobs/" + missing, route: "blob", status: 404, cache: "miss"},
		{method: "PUT", path: "/v2/library/alpine/manifests/latest", route: "unknown", status: 405},
	}
	if !strings.HasPrefix(alpine.Ref, "library/alpine:") {
		t.Fatalf("SeedStandard's first image is %s; the cases assume alpine", alpine.Ref)
	}
	for _, c := range cases {
		resp, body := opsGet(t, c.method, h.URL+c.path, "Accept", opsAcceptAll)
		if resp.StatusCode != c.status {
			t.Fatalf("%s %s: %d, want %d (%s)", c.method, c.path, resp.StatusCode, c.status, body)
		}
		c.bodyBytes = len(body)
	}
	h.Stop(t) // every line is written before the process exits

	lines := accessLines(opsJSONLog(t, h.proc.LogPath()))
	if len(lines) != len(cases)+1 { // + the readiness probe's GET /v2/
		t.Errorf("%d access lines for %d requests (and one readiness probe)", len(lines), len(cases))
	}
	for i, c := range cases {
		if i+1 >= len(lines) {
			break
		}
		checkAccessLine(t, c, lines[i+1])
	}
}

// requestLines keeps the access lines, in order.
func accessLines(recs []opsLogRecord) []opsLogRecord {
	var out []opsLogRecord
	for _, r := range recs {
		if r.str("msg") == "request" {
			out = append(out, r)
		}
	}
	return out
}

func checkAccessLine(t *testing.T, c *accessCase, r opsLogRecord) {
	t.Helper()
	what := c.method + " " + c.path
	for key, want := range map[string]string{"method": c.method, "path": c.path, "route": c.route, "cache": c.cache} {
		if got := r.str(key); got != want {
			t.Errorf("%s: %s=%q in the log, want %q (line %v)", what, key, got, want, r)
		}
	}
	if got, _ := r.num("status"); int(got) != c.status {
		t.Errorf("%s: status=%v in the log, want %d", what, r["status"], c.status)
	}
	if got, ok := r.num("bytes"); !ok || int(got) != c.bodyBytes {
		t.Errorf("%s: bytes=%v in the log, but the client received %d body bytes", what, r["bytes"], c.bodyBytes)
	}
	if d, ok := r.num("duration"); !ok || d <= 0 {
		t.Errorf("%s: duration=%v, want a positive time", what, r["duration"])
	}
	if c.status >= 400 && r.str("level") != "INFO" && r.str("level") != "WARN" {
		t.Errorf("%s: level %q for a refused request", what, r.str("level"))
	}
}
