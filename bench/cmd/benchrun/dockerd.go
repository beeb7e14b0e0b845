package main

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hubmirror/hubmirror/internal/dockertest"
	"github.com/hubmirror/hubmirror/internal/proctest"
)

// dockerReady bounds containerd's and dockerd's start (about a second each
// here).
const dockerReady = 60 * time.Second

// dockerd is a private Docker daemon (and its containerd) whose only
// registry mirror is the system under test, as in the e2e harness. Sockets
// go under a short directory because unix socket paths are limited to 108
// bytes.
type dockerd struct {
	cli     dockertest.CLI
	short   string // socket directory, removed by stop
	ctrd, d *proctest.Proc
}

func startDocker(ps *procs, name, mirrorURL string) (*dockerd, error) {
	short, err := os.MkdirTemp("/tmp", "hbd")
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(ps.dir, name)
	spec := dockertest.Dockerd{
		Process:   dockertest.Process{Name: name + "-dockerd", Env: sbinEnv(offlineEnv())},
		MirrorURL: mirrorURL,
		Dir:       dir, SocketDir: short, Containerd: filepath.Join(short, "containerd.sock"),
		CLIConfig: filepath.Join(dir, "cli"),
	}
	d := &dockerd{cli: spec.CLI(), short: short}
	if err := os.MkdirAll(spec.CLIConfig, 0o700); err != nil {
		return d, err
	}
	d.ctrd, err = dockertest.StartContainerd(ps.start, dockertest.Containerd{
		Process: dockertest.Process{Name: name + "-containerd", Env: sbinEnv(offlineEnv())},
		Dir:     filepath.Join(dir, "c"), Address: spec.Containerd,
	}, dockerReady)
	if err != nil {
		return d, withLogTail(d.ctrd, err)
	}
	d.d, err = dockertest.StartDockerd(ps.start, spec, dockerReady)
	return d, withLogTail(d.d, err)
}

func (d *dockerd) stop() {
	if d == nil {
		return
	}
	if d.d != nil {
		stop(d.d)
	}
	if d.ctrd != nil {
		stop(d.ctrd)
	}
	os.RemoveAll(d.short)
}

// sbinEnv puts the sbin directories on env's PATH: dockerd finds runc there.
func sbinEnv(env []string) []string {
	for i, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + dockertest.WithSbin(p)
		}
	}
	return env
}
