package proctest

import (
	"fmt"
	"net"
	"time"
)

// pollInterval is how often readiness probes run; the daemons here come up
// in well under a second, so a coarser step would only add latency.
const pollInterval = 50 * time.Millisecond

// WaitReady polls ready until it succeeds, the process dies, or timeout
// passes. A dead process ends the wait at once instead of burning the budget.
func (p *Proc) WaitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		switch {
		case err == nil:
			return nil
		case p.Exited():
			return fmt.Errorf("%s exited before it was ready (%v); last probe: %w", p.name, p.err, err)
		case time.Now().After(deadline):
			return fmt.Errorf("%s not ready after %s: %w", p.name, timeout, err)
		}
		select {
		case <-p.done:
		case <-time.After(pollInterval):
		}
	}
}

// UnixSocketAccepts is a readiness probe: it succeeds once something
// accepts connections on the unix socket at path.
func UnixSocketAccepts(path string) error {
	c, err := net.Dial("unix", path)
	if err == nil {
		c.Close()
	}
	return err
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
