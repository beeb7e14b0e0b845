package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// dockerReady bounds containerd's and dockerd's start (about a second each
// here).
const dockerReady = 60 * time.Second

// dockerd is a private Docker daemon (and its containerd) whose only
// registry mirror is the system under test. Every path it would use in
// /var/lib, /run or /etc is redirected; sockets go under a short directory
// because unix socket paths are limited to 108 bytes. This is the e2e
// harness's approach (e2e/dockerd_test.go, e2e/containerd_test.go).
type dockerd struct {
	host      string // unix://…/docker.sock
	cliConfig string // private DOCKER_CONFIG
	short     string // socket directory, removed by stop
	ctrd, d   *proc
}

func startDocker(ps *procs, name, mirrorURL string) (*dockerd, error) {
	short, err := os.MkdirTemp("/tmp", "hbd")
	if err != nil {
		return nil, err
	}
	dir := filepath.Join(ps.dir, name)
	d := &dockerd{host: "unix://" + filepath.Join(short, "docker.sock"), cliConfig: filepath.Join(dir, "cli"), short: short}
	for _, sub := range []string{"cli", "c"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return d, err
		}
	}
	ctrdSock := filepath.Join(short, "containerd.sock")
	if d.ctrd, err = startContainerd(ps, name, filepath.Join(dir, "c"), ctrdSock); err != nil {
		return d, err
	}
	cfg := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfg, daemonConfig(mirrorURL, filepath.Join(dir, "key.json")), 0o644); err != nil {
		return d, err
	}
	d.d, err = ps.start(name+"-dockerd", withSbin(offlineEnv()), "dockerd",
		"--config-file", cfg, "--data-root", filepath.Join(dir, "root"), "--exec-root", filepath.Join(short, "exec"),
		"--pidfile", filepath.Join(short, "docker.pid"), "--host", d.host, "--containerd", ctrdSock)
	if err != nil {
		return d, err
	}
	return d, d.d.waitReady(dockerReady, func() error {
		_, err := d.cli(context.Background(), 5*time.Second, "version", "--format", "{{.Server.Version}}")
		return err
	})
}

func startContainerd(ps *procs, name, dir, sock string) (*proc, error) {
	cfg := filepath.Join(dir, "containerd.toml")
	body := fmt.Sprintf(`version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = %q
[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), sock, filepath.Join(dir, "opt"))
	if err := os.WriteFile(cfg, []byte(body), 0o644); err != nil {
		return nil, err
	}
	p, err := ps.start(name+"-containerd", withSbin(offlineEnv()), "containerd", "--config", cfg)
	if err != nil {
		return nil, err
	}
	return p, p.waitReady(dockerReady, func() error {
		c, err := net.Dial("unix", sock)
		if err == nil {
			c.Close()
		}
		return err
	})
}

// daemonConfig keeps dockerd off the host's network configuration (no
// bridge, no iptables, no ip_forward sysctl) and uses vfs, which works on
// any filesystem and leaves no mounts behind.
func daemonConfig(mirrorURL, keyPath string) []byte {
	b, _ := json.Marshal(map[string]any{
		"registry-mirrors":    []string{mirrorURL},
		"deprecated-key-path": keyPath,
		"storage-driver":      "vfs",
		"bridge":              "none",
		"iptables":            false,
		"ip-forward":          false,
		"ip-masq":             false,
	})
	return b
}

// cli runs the docker CLI against this daemon only.
func (d *dockerd) cli(ctx context.Context, timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "docker", append([]string{"--host", d.host}, args...)...)
	cmd.Env = append(dropEnv(os.Environ(), "DOCKER_"), "DOCKER_CONFIG="+d.cliConfig)
	cmd.WaitDelay = time.Second
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("docker %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return string(out), nil
}

func (d *dockerd) stop() {
	if d == nil {
		return
	}
	if d.d != nil {
		d.d.stop()
	}
	if d.ctrd != nil {
		d.ctrd.stop()
	}
	os.RemoveAll(d.short)
}

// withSbin puts the sbin directories on PATH: dockerd finds runc there.
func withSbin(env []string) []string {
	for i, kv := range env {
		if p, ok := strings.CutPrefix(kv, "PATH="); ok {
			env[i] = "PATH=" + p + ":/usr/local/sbin:/usr/sbin:/sbin"
		}
	}
	return env
}
