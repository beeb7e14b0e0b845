package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// dockerdReadyTimeout bounds dockerd's start; here it answers within ~1s.
const dockerdReadyTimeout = 60 * time.Second

// dockerd is a private Docker daemon whose registry-mirrors is the mirror
// under test. Its methods drive it with the docker CLI.
type dockerd struct {
	Mirror    string
	host      string // -H value for every docker CLI call
	cliConfig string // private DOCKER_CONFIG, so host credentials stay out
	proc      *proc
}

// startDockerd starts containerd and dockerd with every path private to the
// test, waits until the API answers, and stops both when the test ends.
func startDockerd(t *testing.T, mirrorURL string) *dockerd {
	t.Helper()
	requireDockerd(t)
	short := shortTempDir(t, "e2e-dockerd-")
	ctrd := startContainerd(t, filepath.Join(short, "c"))
	d := &dockerd{
		Mirror:    mirrorURL,
		host:      "unix://" + filepath.Join(short, "docker.sock"),
		cliConfig: t.TempDir(),
	}
	d.proc = startProc(t, "dockerd", offlineEnv(), "dockerd", dockerdArgs(t, short, ctrd.Address, d.host, mirrorURL)...)
	err := d.proc.waitReady(dockerdReadyTimeout, func() error {
		_, err := d.docker(t, 5*time.Second, "version", "--format", "{{.Server.Version}}")
		return err
	})
	if err != nil {
		t.Fatal(err) // the cleanup prints dockerd's log
	}
	return d
}

// dockerdArgs writes daemon.json and returns the command line. Everything
// dockerd would otherwise put in /var/lib/docker, /run/docker or /etc/docker
// is redirected under short (sockets) or a TempDir (images, config).
func dockerdArgs(t *testing.T, short, containerdAddr, host, mirrorURL string) []string {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "daemon.json")
	if err := os.WriteFile(cfg, daemonConfig(mirrorURL, filepath.Join(dir, "key.json")), 0o644); err != nil {
		t.Fatalf("write daemon.json: %v", err)
	}
	return []string{
		"--config-file", cfg, // not /etc/docker/daemon.json
		"--data-root", filepath.Join(dir, "root"),
		"--exec-root", filepath.Join(short, "exec"),
		"--pidfile", filepath.Join(short, "docker.pid"),
		"--host", host,
		"--containerd", containerdAddr,
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
		// behind to block TempDir removal.
		"storage-driver": "vfs",
		// No bridge and no iptables: the tests only pull, and dockerd must
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
