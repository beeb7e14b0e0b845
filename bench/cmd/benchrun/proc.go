package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a process gets after SIGTERM before its whole
// process group is killed.
const stopGrace = 10 * time.Second

// proc is one background process the driver started. Its output goes to a
// log file in the work dir, which the run keeps for a post-mortem.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // Wait's result; read after done is closed
}

// procs tracks every process started, so that all of them are stopped on
// the way out, and appends each process group to pidFile so that
// bench/run.sh's trap can kill them even if the driver itself is killed.
type procs struct {
	dir     string
	pidFile string
	mu      sync.Mutex
	all     []*proc
}

func (ps *procs) start(name string, env []string, bin string, args ...string) (*proc, error) {
	p := &proc{name: name, log: filepath.Join(ps.dir, name+".log"), done: make(chan struct{})}
	f, err := os.Create(p.log)
	if err != nil {
		return nil, err
	}
	defer f.Close() // the child keeps its own descriptor
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr, p.cmd.Env = f, f, env
	p.cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid:   true,            // stop() kills the daemon's children with it
		Pdeathsig: syscall.SIGKILL, // a killed driver leaks no daemon
	}
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	ps.track(p)
	return p, nil
}

func (ps *procs) track(p *proc) {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	ps.all = append(ps.all, p)
	if ps.pidFile == "" {
		return
	}
	f, err := os.OpenFile(ps.pidFile, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err == nil {
		fmt.Fprintln(f, p.cmd.Process.Pid)
		f.Close()
	}
}

// stopAll stops every process still running, newest first (dockerd before
// the containerd it uses).
func (ps *procs) stopAll() {
	ps.mu.Lock()
	all := append([]*proc(nil), ps.all...)
	ps.mu.Unlock()
	for i := len(all) - 1; i >= 0; i-- {
		all[i].stop()
	}
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after stopGrace.
// Safe to call more than once.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGTERM)
	select {
	case <-p.done:
		return
	case <-time.After(stopGrace):
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(stopGrace):
	}
}

// failure explains a process that died or never got ready, with the tail
// of its log.
func (p *proc) failure(err error) error {
	b, _ := os.ReadFile(p.log)
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > 30 {
		lines = lines[len(lines)-30:]
	}
	return fmt.Errorf("%s: %w\n--- last lines of %s ---\n%s", p.name, err, p.log, strings.Join(lines, "\n"))
}

// waitReady polls ready every 50ms until it succeeds, the process dies or
// timeout passes.
func (p *proc) waitReady(timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		switch {
		case err == nil:
			return nil
		case p.exited():
			return p.failure(fmt.Errorf("exited before it was ready (%v): %w", p.err, err))
		case time.Now().After(deadline):
			return p.failure(fmt.Errorf("not ready after %s: %w", timeout, err))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// offlineEnv is the environment with HTTP(S) to anywhere but loopback sent
// to a port nothing listens on (Go never proxies loopback), so a registry
// that tries to reach the internet fails at once instead of leaving the
// machine. The e2e harness does the same.
func offlineEnv(extra ...string) []string {
	const dead = "http://127.0.0.1:9"
	env := dropEnv(os.Environ(), "HUBMIRROR_", "REGISTRY_", "OTEL_", "DOCKER_")
	env = append(env, "HTTP_PROXY="+dead, "HTTPS_PROXY="+dead, "http_proxy="+dead, "https_proxy="+dead, "NO_PROXY=", "no_proxy=")
	return append(env, extra...)
}

func dropEnv(env []string, prefixes ...string) []string {
	var kept []string
	for _, kv := range env {
		drop := false
		for _, p := range prefixes {
			drop = drop || strings.HasPrefix(kv, p)
		}
		if !drop {
			kept = append(kept, kv)
		}
	}
	return kept
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
