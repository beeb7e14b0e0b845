package dockertest

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// Containerd says where a private containerd keeps everything.
//
// dockerd could supervise its own containerd, but only when none is
// listening at /run/containerd/containerd.sock: on a host where the
// containerd service runs (the Debian package starts it), dockerd would
// silently share that system daemon. The supervised one also creates
// /opt/containerd, because its generated config leaves the "opt" plugin
// at its default path.
type Containerd struct {
	Process
	Dir     string // config, root, state and opt
	Address string // gRPC unix socket; must fit in 108 bytes
}

// StartContainerd runs containerd as c says and waits until its socket
// accepts connections. The process is returned whenever it started, so the
// caller can stop it and read its log even after an error.
func StartContainerd(start Starter, c Containerd, timeout time.Duration) (*proctest.Proc, error) {
	cfg := filepath.Join(c.Dir, "containerd.toml")
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("make containerd dir: %w", err)
	}
	if err := os.WriteFile(cfg, containerdConfig(c.Dir, c.Address), 0o644); err != nil {
		return nil, fmt.Errorf("write containerd config: %w", err)
	}
	// --config keeps the host's /etc/containerd/config.toml out.
	p, err := start(c.Name, c.Env, "containerd", "--config", cfg)
	if err != nil {
		return nil, err
	}
	return p, p.WaitReady(timeout, func() error { return proctest.UnixSocketAccepts(c.Address) })
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
