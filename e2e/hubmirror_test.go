package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

const (
	// hubmirrorMain is the main package, relative to the repository root.
	hubmirrorMain = "."
	// buildTimeout bounds `go build`; a cold -race build of every
	// dependency is the slow case.
	buildTimeout = 5 * time.Minute
	// hubmirrorReadyTimeout bounds the wait for /v2/ to answer.
	hubmirrorReadyTimeout = 30 * time.Second
	// listenAttempts is how often a start is retried when another process
	// took the free port between our probe and hubmirror's bind.
	listenAttempts = 3
)

// hubmirrorBuild is the one build shared by every test in this binary.
var hubmirrorBuild builtOnce

// buildHubmirror compiles hubmirror once per test binary and returns the
// executable's path. Under -race the binary is race-enabled too.
func buildHubmirror(t *testing.T) string {
	t.Helper()
	bin, err := hubmirrorBuild.get(goBuildHubmirror)
	if err != nil {
		t.Fatal(err)
	}
	return bin
}

// goBuildHubmirror runs `go build` in the repository root, writing the
// binary into dir.
func goBuildHubmirror(dir string) (string, error) {
	bin := filepath.Join(dir, "hubmirror")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	args = append(args, hubmirrorMain)
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = ".." // go test runs in the package directory, e2e/
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return bin, nil
}

// hubmirror is a running hubmirror server.
type hubmirror struct {
	URL     string // "http://127.0.0.1:PORT"
	DataDir string
	proc    *proctest.Proc
	stopped bool // so a race is reported once, not again by the cleanup
}

// startHubmirror runs `hubmirror serve` on a free loopback port with a fresh
// data dir and extra args, and returns its base URL once /v2/ answers.
func startHubmirror(t *testing.T, args ...string) string {
	t.Helper()
	return runHubmirror(t, t.TempDir(), args...).URL
}

// runHubmirror is startHubmirror with a chosen data dir, so a test can stop
// the server and start another on the same cache.
func runHubmirror(t *testing.T, dataDir string, args ...string) *hubmirror {
	t.Helper()
	bin := buildHubmirror(t)
	for attempt := 1; ; attempt++ {
		h, err := tryHubmirror(t, bin, dataDir, args)
		if err == nil {
			return h
		}
		if attempt == listenAttempts || !h.proc.LogContains("address already in use") {
			t.Fatal(err) // the cleanup prints hubmirror's log
		}
	}
}

// tryHubmirror starts one hubmirror on a free port and waits for it to
// answer.
func tryHubmirror(t *testing.T, bin, dataDir string, args []string) (*hubmirror, error) {
	t.Helper()
	return tryHubmirrorAt(t, bin, net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))), dataDir, args)
}

// tryHubmirrorAt is tryHubmirror on a chosen address, for a replica that
// comes back where its balancer expects it.
func tryHubmirrorAt(t *testing.T, bin, addr, dataDir string, args []string) (*hubmirror, error) {
	t.Helper()
	h := &hubmirror{URL: "http://" + addr, DataDir: dataDir}
	cmdline := append([]string{"serve", "--listen", addr, "--data-dir", dataDir}, args...)
	// The host's HUBMIRROR_* settings (credentials, upstream) must not
	// leak into a test's server: every setting comes from args.
	env := proctest.DropEnv(offlineEnv(), "HUBMIRROR_")
	// No balancer watches these servers' /readyz, so a SIGTERM closes the
	// port at once; a test of the drain passes --shutdown-delay.
	env = append(env, "HUBMIRROR_SHUTDOWN_DELAY=0")
	h.proc = startProc(t, "hubmirror", env, bin, cmdline...)
	// Registered after startProc, so it runs first: stop, then look for
	// race reports while the test can still fail.
	t.Cleanup(func() { h.Stop(t) })
	return h, h.proc.WaitReady(hubmirrorReadyTimeout, func() error { return probeV2(h.URL) })
}

// Stop ends hubmirror (SIGTERM, then SIGKILL) and fails the test if the
// race detector reported anything. It is safe to call more than once.
func (h *hubmirror) Stop(t *testing.T) {
	t.Helper()
	if h.stopped {
		return
	}
	h.stopped = true
	stopProc(t, h.proc)
	if h.proc.LogContains("WARNING: DATA RACE") {
		t.Errorf("hubmirror reported a data race; see %s", h.proc.LogPath())
	}
}

// probeV2 succeeds once GET /v2/ gets any HTTP response: 401 or 404 still
// means the server is listening and serving.
func probeV2(baseURL string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(baseURL + "/v2/")
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
