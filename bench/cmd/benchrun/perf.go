package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// profiled runs fn while `perf record -a -g` samples the whole machine,
// when --perf is set: on two shared cores the question is rarely only
// "what does the server do" but "who has the CPU" (server, clients,
// upstream, kernel). The file lands in the work dir as
// perf-<tag>.data; read it with `perf report -i … --sort comm,dso,symbol`.
func (b *bench) profiled(tag string, fn func()) {
	if !b.cfg.perf {
		fn()
		return
	}
	out := filepath.Join(b.cfg.work, "perf-"+strings.NewReplacer(":", "", "/", "-").Replace(tag)+".data")
	cmd := exec.Command("perf", "record", "-a", "-g", "-F", "499", "-o", out)
	if err := cmd.Start(); err != nil {
		b.res.problem("perf record: %v", err)
		fn()
		return
	}
	fn()
	_ = cmd.Process.Signal(syscall.SIGINT)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
		logf("profile of %s in %s", tag, out)
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}
