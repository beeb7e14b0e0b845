package e2e

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	// pollInterval is how often readiness probes run; daemons here come up
	// in well under a second, so a coarser step would only add latency.
	pollInterval = 50 * time.Millisecond
	// stopGrace is how long a daemon gets to exit after SIGTERM before the
	// whole process group is killed.
	stopGrace = 15 * time.Second
	// logTailLines is how much of a daemon's log a failing test prints.
	logTailLines = 60
)

// proc is a background daemon whose stdout and stderr go to a log file, so
// a failing test can show what the daemon said.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{} // closed once Wait has returned
	err  error         // Wait's result; read only after done is closed
}

// startProc starts bin with args and registers a cleanup that stops it and,
// if the test failed, prints the tail of its log.
func startProc(t *testing.T, name string, env []string, bin string, args ...string) *proc {
	t.Helper()
	p := &proc{name: name, log: filepath.Join(t.TempDir(), name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		t.Fatalf("create %s log: %v", name, err)
	}
	defer f.Close() // the child holds its own descriptor
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr, p.cmd.Env = f, f, env
	p.cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // so a hung daemon's children can be killed with it
		Pdeathsig: syscall.SIGKILL, // so a crashed or timed-out test binary leaks no daemon
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		p.stop(t)
		if t.Failed() {
			p.logTail(t)
		}
	})
	return p
}

// exited reports whether the process has ended.
func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM, then kills the process group if it outlives stopGrace.
// It is safe to call more than once.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(stopGrace):
	}
	t.Errorf("%s ignored SIGTERM for %s; killing its process group", p.name, stopGrace)
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
		t.Errorf("%s (pid %d) survived SIGKILL", p.name, p.cmd.Process.Pid)
	}
}

// waitReady polls ready until it succeeds, the process dies, or timeout
// passes. A dead process ends the wait at once instead of burning the budget.
func (p *proc) waitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		switch {
		case err == nil:
			return nil
		case p.exited():
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

// logContains reports whether the daemon's log holds s.
func (p *proc) logContains(s string) bool {
	b, _ := os.ReadFile(p.log)
	return bytes.Contains(b, []byte(s))
}

// logTail prints the last lines of the daemon's log.
func (p *proc) logTail(t *testing.T) {
	t.Helper()
	b, err := os.ReadFile(p.log)
	if err != nil {
		t.Logf("read %s log: %v", p.name, err)
		return
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	t.Logf("last %d lines of %s log (%s):\n%s", len(lines), p.name, p.log, strings.Join(lines, "\n"))
}

// dropEnv returns env without the variables whose names start with prefix.
func dropEnv(env []string, prefix string) []string {
	var kept []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, prefix) {
			kept = append(kept, kv)
		}
	}
	return kept
}
