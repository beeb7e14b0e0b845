package dockertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// Dockerd says where a private dockerd keeps everything and which mirror
// it pulls through. Everything dockerd would otherwise put in
// /var/lib/docker, /run/docker or /etc/docker is redirected under Dir
// (config, images) or SocketDir (sockets, exec root, pidfile: unix socket
// paths are limited to 108 bytes, so SocketDir should be short).
type Dockerd struct {
	Process
	MirrorURL  string // its only registry mirror
	Dir        string
	SocketDir  string
	Containerd string // the gRPC socket of the containerd it uses
	CLIConfig  string // DOCKER_CONFIG of the CLI that probes it
}

// CLI is the docker client that talks to this daemon only.
func (d Dockerd) CLI() CLI {
	return CLI{Host: "unix://" + filepath.Join(d.SocketDir, "docker.sock"), Config: d.CLIConfig}
}

// dockerdProbeTimeout bounds one readiness probe; dockerd answers within
// about a second of starting.
const dockerdProbeTimeout = 5 * time.Second

// StartDockerd writes daemon.json, runs dockerd as d says and waits until
// its API answers. The process is returned whenever it started, so the
// caller can stop it and read its log even after an error.
func StartDockerd(start Starter, d Dockerd, timeout time.Duration) (*proctest.Proc, error) {
	cfg := filepath.Join(d.Dir, "daemon.json")
	if err := os.WriteFile(cfg, daemonConfig(d.MirrorURL, filepath.Join(d.Dir, "key.json")), 0o644); err != nil {
		return nil, fmt.Errorf("write daemon.json: %w", err)
	}
	p, err := start(d.Name, d.Env, "dockerd", d.args(cfg)...)
	if err != nil {
		return nil, err
	}
	cli := d.CLI()
	return p, p.WaitReady(timeout, func() error {
		_, err := cli.Run(context.Background(), dockerdProbeTimeout, "version", "--format", "{{.Server.Version}}")
		return err
	})
}

func (d Dockerd) args(cfg string) []string {
	return []string{
		"--config-file", cfg, // not /etc/docker/daemon.json
		"--data-root", filepath.Join(d.Dir, "root"),
		"--exec-root", filepath.Join(d.SocketDir, "exec"),
		"--pidfile", filepath.Join(d.SocketDir, "docker.pid"),
		"--host", d.CLI().Host,
		"--containerd", d.Containerd,
	}
}

// daemonConfig is daemon.json. 127.0.0.0/8 is insecure by default, so a
// plain-http mirror on 127.0.0.1 needs no insecure-registries entry.
func daemonConfig(mirrorURL, keyPath string) []byte {
	b, err := json.MarshalIndent(map[string]any{
		"registry-mirrors": []string{mirrorURL},
		// dockerd 20.10 otherwise writes its identity key to
		// /etc/docker/key.json; it has no command-line flag for this.
		"deprecated-key-path": keyPath,
		// vfs copies layers instead of mounting them: works on any
		// filesystem (including overlay-on-overlay) and leaves no mounts
		// behind to block the removal of the caller's directories.
		"storage-driver": "vfs",
		// No bridge and no iptables: only pulls are run, and dockerd must
		// not touch the host's firewall or network interfaces.
		"bridge":   "none",
		"iptables": false,
		// ip-forward would otherwise set the host-wide sysctl
		// net.ipv4.ip_forward=1; ip-masq only matters with iptables.
		"ip-forward": false,
		"ip-masq":    false,
	}, "", "  ")
	if err != nil {
		panic(err) // a map of strings and bools always marshals
	}
	return b
}
