package e2e

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/dockertest"
	"github.com/hubmirror/hubmirror/internal/proctest"
)

// dockerdReadyTimeout bounds dockerd's start; here it answers within ~1s.
const dockerdReadyTimeout = 60 * time.Second

// dockerd is a private Docker daemon whose registry-mirrors is the mirror
// under test. Its methods drive it with the docker CLI.
type dockerd struct {
	Mirror string
	cli    dockertest.CLI
	proc   *proctest.Proc
}

// startDockerd starts containerd and dockerd with every path private to the
// test, waits until the API answers, and stops both when the test ends.
func startDockerd(t *testing.T, mirrorURL string) *dockerd {
	t.Helper()
	requireDockerd(t)
	short := shortTempDir(t, "e2e-dockerd-")
	ctrd := startContainerd(t, filepath.Join(short, "c"))
	spec := dockertest.Dockerd{
		Process:    dockertest.Process{Name: "dockerd", Env: offlineEnv()},
		MirrorURL:  mirrorURL,
		Dir:        t.TempDir(),
		SocketDir:  short,
		Containerd: ctrd.Address,
		CLIConfig:  t.TempDir(),
	}
	d := &dockerd{Mirror: mirrorURL, cli: spec.CLI()}
	var err error
	if d.proc, err = dockertest.StartDockerd(starter(t), spec, dockerdReadyTimeout); err != nil {
		t.Fatal(err) // the cleanup prints dockerd's log
	}
	return d
}
