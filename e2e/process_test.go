package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/dockertest"
	"github.com/hubmirror/hubmirror/internal/proctest"
)

const (
	// pollInterval is how often the tests' own probes run; the servers
	// here answer in well under a second.
	pollInterval = 50 * time.Millisecond
	// stopGrace is how long a daemon gets to exit after SIGTERM before the
	// whole process group is killed.
	stopGrace = 15 * time.Second
	// logTailLines is how much of a daemon's log a failing test prints.
	logTailLines = 60
)

// startProc starts bin with args and registers a cleanup that stops it and,
// if the test failed, prints the tail of its log.
func startProc(t *testing.T, name string, env []string, bin string, args ...string) *proctest.Proc {
	t.Helper()
	p, err := starter(t)(name, env, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// starter is startProc returning its error, for dockertest, whose daemons
// are then stopped and their logs shown the same way.
func starter(t *testing.T) dockertest.Starter {
	return func(name string, env []string, bin string, args ...string) (*proctest.Proc, error) {
		t.Helper()
		p, err := proctest.Start(t.TempDir(), name, env, bin, args...)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() {
			stopProc(t, p)
			if t.Failed() {
				logTail(t, p)
			}
		})
		return p, nil
	}
}

// stopProc stops p (SIGTERM, then SIGKILL), failing the test if SIGTERM
// was not enough. It is safe to call more than once.
func stopProc(t *testing.T, p *proctest.Proc) {
	t.Helper()
	if err := p.Stop(stopGrace); err != nil {
		t.Error(err)
	}
}

// logTail prints the last lines of the daemon's log.
func logTail(t *testing.T, p *proctest.Proc) {
	t.Helper()
	lines, err := p.LogTail(logTailLines)
	if err != nil {
		t.Logf("read %s log: %v", p.Name(), err)
		return
	}
	t.Logf("last %d lines of %s log (%s):\n%s", len(lines), p.Name(), p.LogPath(), strings.Join(lines, "\n"))
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	port, err := proctest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	return port
}
