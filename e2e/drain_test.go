package e2e

import (
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// drainTestDelay is far longer than the test needs, so the drain cannot
// end on its own while the test looks; a second SIGTERM ends it.
const drainTestDelay = 10 * time.Minute

// SIGTERM with --shutdown-delay: /readyz turns 503 and says draining at
// once, new connections are still served (a balancer has not noticed
// yet), and a second SIGTERM cuts the drain short into a clean exit.
func TestSIGTERMDrainsBeforeClosing(t *testing.T) {
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	d := hub.AddBlob("library/app", []byte("layer served while draining"))
	h := runHubmirror(t, t.TempDir(), "--upstream", hub.URL, "--shutdown-delay", drainTestDelay.String())
	if resp, _ := opsGet(t, http.MethodGet, h.URL+"/readyz"); resp.StatusCode != http.StatusOK {
		t.Fatalf("/readyz before SIGTERM: %d, want 200", resp.StatusCode)
	}

	h.proc.Signal(syscall.SIGTERM)
	body := waitReadyzStatus(t, h.URL, http.StatusServiceUnavailable)
	if !strings.Contains(body, `"draining":true`) {
		t.Errorf("/readyz while draining: %s, want it to say draining", body)
	}
	fresh := &http.Client{Timeout: opsHTTPTimeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := fresh.Get(h.URL + "/v2/library/app/blobs/" + d.String())
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("a new connection while draining: %v %v, want 200", resp, err)
	}
	resp.Body.Close()

	h.proc.Signal(syscall.SIGTERM)
	assertExitsCleanly(t, h)
}

// waitReadyzStatus polls /readyz until it answers want, within a bound,
// and returns that answer's body.
func waitReadyzStatus(t *testing.T, base string, want int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, body := opsGet(t, http.MethodGet, base+"/readyz")
		if resp.StatusCode == want {
			return string(body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("/readyz still %d after 10 s, want %d: %s", resp.StatusCode, want, body)
		}
		time.Sleep(pollInterval)
	}
}
