package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/dockertest"
	"github.com/hubmirror/hubmirror/internal/proctest"
)

// containerdReadyTimeout bounds containerd's start; it normally answers in
// about 100ms.
const containerdReadyTimeout = 30 * time.Second

// containerd is a private containerd daemon, for dockerd and for tests that
// drive `ctr` directly.
type containerd struct {
	Address string // gRPC unix socket path
	proc    *proctest.Proc
}

// startContainerd runs a containerd whose every path lies under dir, and
// stops it when the test ends.
func startContainerd(t *testing.T, dir string) *containerd {
	t.Helper()
	c := &containerd{Address: filepath.Join(dir, "containerd.sock")}
	var err error
	c.proc, err = dockertest.StartContainerd(starter(t), dockertest.Containerd{
		Process: dockertest.Process{Name: "containerd"}, Dir: dir, Address: c.Address,
	}, containerdReadyTimeout)
	if err != nil {
		t.Fatal(err) // the cleanup prints containerd's log
	}
	return c
}
