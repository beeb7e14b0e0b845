package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

const (
	// stopGrace is how long a process gets after SIGTERM before its whole
	// process group is killed.
	stopGrace = 10 * time.Second
	// failureLogLines is how much of a process's log a failure quotes.
	failureLogLines = 30
)

// procs tracks every process started, so that all of them are stopped on
// the way out, and appends each process group to pidFile so that
// bench/run.sh's trap can kill them even if the driver itself is killed.
// Each process's output goes to a log file in dir, which the run keeps for
// a post-mortem.
type procs struct {
	dir     string
	pidFile string
	mu      sync.Mutex
	all     []*proctest.Proc
}

// start has the shape of dockertest.Starter.
func (ps *procs) start(name string, env []string, bin string, args ...string) (*proctest.Proc, error) {
	p, err := proctest.Start(ps.dir, name, env, bin, args...)
	if err != nil {
		return nil, err
	}
	ps.track(p)
	return p, nil
}

func (ps *procs) track(p *proctest.Proc) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.all = append(ps.all, p)
	if ps.pidFile == "" {
		return
	}
	f, err := os.OpenFile(ps.pidFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		fmt.Fprintln(f, p.Pid())
		f.Close()
	}
}

// stopAll stops every process still running, newest first (dockerd before
// the containerd it uses).
func (ps *procs) stopAll() {
	ps.mu.Lock()
	all := append([]*proctest.Proc(nil), ps.all...)
	ps.mu.Unlock()
	for i := len(all) - 1; i >= 0; i-- {
		stop(all[i])
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace.
// A process that needed SIGKILL has still stopped, which is all a run
// needs. Safe to call more than once.
func stop(p *proctest.Proc) { _ = p.StopGroup(stopGrace) }

// waitReady is Proc.WaitReady whose error quotes the tail of the log.
func waitReady(p *proctest.Proc, timeout time.Duration, ready func() error) error {
	return withLogTail(p, p.WaitReady(timeout, ready))
}

// withLogTail explains a process that died or never got ready with the
// tail of its log; a nil err stays nil.
func withLogTail(p *proctest.Proc, err error) error {
	if err == nil || p == nil {
		return err
	}
	lines, _ := p.LogTail(failureLogLines)
	return fmt.Errorf("%w\n--- last lines of %s ---\n%s", err, p.LogPath(), strings.Join(lines, "\n"))
}

// offlineEnv is the environment without the host's settings for the
// programs run here, and with HTTP(S) to anywhere but loopback sent to a
// port nothing listens on, so a registry that tries to reach the internet
// fails at once instead of leaving the machine.
func offlineEnv(extra ...string) []string {
	env := proctest.DropEnv(os.Environ(), "HUBMIRROR_", "REGISTRY_", "OTEL_", "DOCKER_")
	return append(proctest.OfflineEnv(env), extra...)
}
