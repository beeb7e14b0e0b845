package e2e

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// readHeaderTimeout is hubmirror's http.Server.ReadHeaderTimeout.
const readHeaderTimeout = 10 * time.Second

// Hostile and broken requests, sent byte for byte, get a clear 4xx in the
// distribution spec's error form, never reach upstream, and leave the
// mirror serving pulls. A client that sends half a request line
// is cut off after the header timeout instead of holding a connection.
func TestMalformedRequestsAreRefused(t *testing.T) {
	requireTools(t, "skopeo")
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := addImage(t, hub, "library/alpine", "latest")
	mirror := startHubmirror(t, "--upstream", hub.URL)
	addr := hostOf(mirror)

	slow := make(chan slowResult, 1)
	if testing.Short() {
		t.Log("-short: not waiting out the header timeout for a slow client")
	} else {
		go func() { slow <- halfRequestLine(addr) }()
	}

	for _, tc := range malformedCases() {
		resp, body, err := rawRequest(t, addr, rawGet(tc.target, addr))
		if err != nil {
			t.Errorf("GET %s: %v", tc.target, err)
			continue
		}
		t.Logf("GET %s → %d %s", abbrev(tc.target), resp.StatusCode, abbrev(strings.TrimSpace(string(body))))
		assertOCIError(t, "GET "+abbrev(tc.target), resp, body, tc.status, tc.code)
	}
	assertHugeHeaderRefused(t, addr)
	if c := hub.Counts(); repoRequests(c) != 0 {
		t.Errorf("malformed requests reached upstream: %+v", c)
	}

	if !testing.Short() {
		r := <-slow
		t.Logf("slow client: closed after %v (answer %q, %v)", r.closedAfter.Round(100*time.Millisecond), r.got, r.err)
		if r.err != nil || r.closedAfter < readHeaderTimeout/2 || r.closedAfter > readHeaderTimeout+5*time.Second {
			t.Errorf("slow client: connection closed after %v (%v), want about %v", r.closedAfter, r.err, readHeaderTimeout)
		}
	}

	dir := t.TempDir()
	skopeoCopy(t, "docker://"+addr+"/library/alpine:latest", "oci:"+dir)
	if got := ociLayerDigests(t, dir); !slices.Equal(got, alpine.layers) {
		t.Errorf("pull after the malformed requests: layers %v, want %v", got, alpine.layers)
	}
}

type malformedCase struct {
	target string
	status int
	code   string
}

func malformedCases() []malformedCase {
	hex64 := strings.Repeat("ab", 32)
	return []malformedCase{
		// ".." has a dot, so docker's rule reads it as a registry host.
		{"/v2/../../etc/passwd", 404, "NAME_UNKNOWN"},
		{"/v2/library/../../../etc/manifests/latest", 400, "NAME_INVALID"},
		{"/v2/%2e%2e%2fetc/manifests/x", 404, "NOT_FOUND"},
		{"/v2/%2e%2e/%2e%2e/etc/passwd", 404, "NOT_FOUND"},
		{"/v2/library%2Falpine/manifests/latest", 404, "NOT_FOUND"},
		{"/v2/library/alpine/blobs/..%2f..%2fetc%2fpasswd", 404, "NOT_FOUND"},
		{"/v2/Library/Alpine/manifests/latest", 400, "NAME_INVALID"},
		{"/v2/library/alpine/../manifests/latest", 400, "NAME_INVALID"},
		{"/v2/" + strings.Repeat("a", 256) + "/manifests/latest", 400, "NAME_INVALID"},
		{"/v2/library/alpine/manifests/..", 400, "TAG_INVALID"},
		{"/v2/library/alpine/manifests/" + strings.Repeat("t", 129), 400, "TAG_INVALID"},
		{"/v2/library/alpine/manifests/sha256:zzz", 400, "DIGEST_INVALID"},
		{"/v2/library/alpine/blobs/sha256:zzz", 400, "DIGEST_INVALID"},
		{"/v2/library/alpine/blobs/md5:" + hex64[:32], 400, "DIGEST_INVALID"},
		{"/v2/library/alpine/blobs/sha256:" + strings.ToUpper(hex64), 400, "DIGEST_INVALID"},
		{"/v2/library/alpine/blobs/sha256:" + hex64[:63], 400, "DIGEST_INVALID"},
		{"/v2/library/alpine/blobs/sha256:../../../../etc/passwd", 400, "NAME_INVALID"},
		{"/v2/library/alpine/manifests/latest?ns=../../etc", 404, "NAME_UNKNOWN"},
	}
}

// assertHugeHeaderRefused sends 80 KiB of headers, past hubmirror's 64 KiB
// limit. net/http refuses those before hubmirror's handler runs, so the
// answer is its plain-text 431, not an OCI error.
func assertHugeHeaderRefused(t *testing.T, addr string) {
	t.Helper()
	req := rawGet("/v2/library/alpine/manifests/latest", addr, "X-Padding: "+strings.Repeat("a", 80<<10))
	resp, _, err := rawRequest(t, addr, req)
	if err != nil {
		t.Errorf("80 KiB header: %v", err)
		return
	}
	t.Logf("GET with an 80 KiB header → %d", resp.StatusCode)
	if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
		t.Errorf("80 KiB header: status %d, want 431", resp.StatusCode)
	}
}

// slowResult is how the server treated a client that stalled mid-header.
type slowResult struct {
	closedAfter time.Duration
	got         string // anything the server sent before closing
	err         error  // a failure of the probe itself
}

// halfRequestLine sends half a request line and waits for the server to
// close the connection. It runs on its own goroutine, so it reports rather
// than failing the test.
func halfRequestLine(addr string) slowResult {
	conn, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		return slowResult{err: err}
	}
	defer conn.Close()
	start := time.Now()
	if _, err := io.WriteString(conn, "GET /v2/library/alp"); err != nil {
		return slowResult{err: err}
	}
	conn.SetReadDeadline(start.Add(readHeaderTimeout + 10*time.Second))
	got, err := io.ReadAll(conn)
	r := slowResult{closedAfter: time.Since(start), got: string(got)}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		r.err = errors.New("the server never closed the connection")
	}
	return r
}

// abbrev keeps a long target readable in the test log.
func abbrev(s string) string {
	if len(s) > 90 {
		return s[:60] + fmt.Sprintf("…(%d bytes)", len(s))
	}
	return s
}
