package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"time"
)

// Scenario 4 runs twice. First as every other scenario does, the servers
// and the load generator sharing the 2 cores: the latency an operator
// sees on a busy machine, where a Go server's threads and wrk's queue for
// the same cores (the Go floor's p99 is 2.5–4.8× nginx's there, and 2.3 ms
// instead of 5.5 with GOMAXPROCS=1). Then pinned: every server on
// serverCPU and benchrun, wrk and the HEAD client on clientCPU, so the
// figure is the server's own latency and rate, the client never waiting
// for a core the server holds. nginx then is one worker pinned to the
// same core (startOneCoreNginx). Measured first by hand, quiet machine:
// nginx one worker 65–68 k req/s with p99 0.64–1.25 ms, the floor 65–75 k
// and 0.71–1.39 ms; the server's core was 99 % busy, wrk's 65–81 %, so
// the server is the limit.
const serverCPU, clientCPU = "0", "1"

// settleAffinity is how long Go servers get to notice the new CPU set:
// the runtime re-reads it about once a second and sets GOMAXPROCS to it.
const settleAffinity = 2 * time.Second

// manifestsPinned is scenario 4's pinned pass over servers (the Go floor
// and the systems) and a one-core nginx.
func (b *bench) manifestsPinned(servers []*system, paths map[string]string) {
	if runtime.NumCPU() < 2 {
		logf("scenario 4: one CPU: no pinned pass")
		return
	}
	ng, err := startOneCoreNginx(b.ps, filepath.Join(b.cfg.work, "www"), serverCPU)
	if err != nil {
		b.res.problem("scenario 4 pinned: nginx: %v", err)
		return
	}
	defer stop(ng.proc)
	restore, err := pinForManifests(servers)
	defer restore()
	if err != nil {
		b.res.problem("scenario 4 pinned: %v", err)
		return
	}
	time.Sleep(settleAffinity)
	b.manifestRounds(b.res.pinned, " pinned", append([]*system{ng}, servers...), paths)
}

// pinForManifests moves every thread of the servers to serverCPU and of
// this process to clientCPU (wrk, started later, inherits it); restore
// gives them all every CPU back.
func pinForManifests(servers []*system) (restore func(), err error) {
	all := fmt.Sprintf("0-%d", runtime.NumCPU()-1)
	var moved []int
	restore = func() {
		for _, pid := range moved {
			if err := setAffinity(pid, all); err != nil {
				logf("scenario 4: restoring CPUs of %d: %v", pid, err)
			}
		}
	}
	for _, s := range servers {
		if err := setAffinity(s.proc.Pid(), serverCPU); err != nil {
			return restore, fmt.Errorf("%s: %w", s.name, err)
		}
		moved = append(moved, s.proc.Pid())
	}
	if err := setAffinity(os.Getpid(), clientCPU); err != nil {
		return restore, fmt.Errorf("benchrun: %w", err)
	}
	moved = append(moved, os.Getpid())
	return restore, nil
}

// setAffinity sets the CPU list of every thread of pid.
func setAffinity(pid int, cpus string) error {
	out, err := exec.Command("taskset", "-a", "-p", "-c", cpus, strconv.Itoa(pid)).CombinedOutput()
	if err != nil {
		return fmt.Errorf("taskset: %w: %s", err, out)
	}
	return nil
}
