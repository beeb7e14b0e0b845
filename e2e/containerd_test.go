package e2e

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// containerdReadyTimeout bounds containerd's start; it normally answers in
// about 100ms.
const containerdReadyTimeout = 30 * time.Second

// containerd is a private containerd daemon, for dockerd and for tests that
// drive `ctr` directly.
type containerd struct {
	Address string // gRPC unix socket path
	proc    *proc
}

// startContainerd runs a containerd whose every path lies under dir.
//
// dockerd could supervise its own containerd, but only when none is
// listening at /run/containerd/containerd.sock: on a host where the
// containerd service runs (the Debian package starts it), dockerd would
// silently share that system daemon. The supervised one also creates
// /opt/containerd, because its generated config leaves the "opt" plugin
// at its default path.
func startContainerd(t *testing.T, dir string) *containerd {
	t.Helper()
	c := &containerd{Address: filepath.Join(dir, "containerd.sock")}
	cfg := filepath.Join(dir, "containerd.toml")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatalf("make containerd dir: %v", err)
	}
	if err := os.WriteFile(cfg, containerdConfig(dir, c.Address), 0o644); err != nil {
		t.Fatalf("write containerd config: %v", err)
	}
	// --config keeps the host's /etc/containerd/config.toml out of the test.
	c.proc = startProc(t, "containerd", nil, "containerd", "--config", cfg)
	err := c.proc.waitReady(containerdReadyTimeout, func() error {
		conn, err := net.Dial("unix", c.Address)
		if err == nil {
			conn.Close()
		}
		return err
	})
	if err != nil {
		t.Fatal(err) // the cleanup prints containerd's log
	}
	return c
}

// containerdConfig renders a config that keeps state, sockets and the opt
// directory under dir. The CRI plugin is disabled: it needs CNI and is not
// used by dockerd or ctr.
func containerdConfig(dir, address string) []byte {
	return fmt.Appendf(nil, `version = 2
root = %q
state = %q
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = %q

[plugins."io.containerd.internal.v1.opt"]
  path = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "state"), address, filepath.Join(dir, "opt"))
}
