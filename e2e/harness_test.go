package e2e

import (
	"os"
	"os/exec"
	"testing"

	"github.com/hubmirror/hubmirror/internal/dockertest"
)

// TestMain puts the sbin directories on PATH and removes the
// once-per-binary hubmirror build and oras install, which outlive any
// single test's TempDir.
func TestMain(m *testing.M) {
	os.Setenv("PATH", dockertest.WithSbin(os.Getenv("PATH")))
	code := m.Run()
	hubmirrorBuild.remove()
	os.Exit(code)
}

// unavailable stops a test whose environment cannot run it. Under CI it
// fails instead: a CI run that silently skips its end-to-end tests would
// report green while proving nothing.
func unavailable(t *testing.T, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") != "" {
		t.Fatalf("CI is set, refusing to skip: "+format, args...)
	}
	t.Skipf(format, args...)
}

// requireTools stops the test unless every named binary is on PATH.
func requireTools(t *testing.T, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			unavailable(t, "%s not found on PATH (apt-get install docker.io containerd runc skopeo): %v", n, err)
		}
	}
}

// requireDockerd stops the test unless dockerd can run here.
func requireDockerd(t *testing.T) {
	t.Helper()
	requireRoot(t)
	requireTools(t, "dockerd", "docker", "containerd", "runc")
}

// requireRoot stops the test unless it runs as root: dockerd and containerd
// need it for mounts, cgroups and chown of layer files.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		unavailable(t, "needs root to run dockerd (euid %d)", os.Geteuid())
	}
}
