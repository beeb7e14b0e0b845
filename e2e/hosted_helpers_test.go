package e2e

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// toolTimeout bounds one crane, oras or skopeo command.
const toolTimeout = 2 * time.Minute

// writeLayerTar writes a tar holding one file of size random bytes: a new
// layer on every call, as `docker import` and `crane append` take it.
func writeLayerTar(t *testing.T, file string, size int) string {
	t.Helper()
	content := make([]byte, size)
	rand.Read(content)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{Name: file, Mode: 0o644, Size: int64(size), ModTime: time.Unix(1, 0)}
	if err := tw.WriteHeader(hdr); err != nil {
		t.Fatal(err)
	}
	tw.Write(content)
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return writeTestFile(t, strings.ReplaceAll(file, "/", "_")+".tar", buf.Bytes(), 0o644)
}

// runTool runs a client program and fails the test if it fails.
func runTool(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := tryTool(t, bin, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// toolHomes is each test's HOME for the client programs: private, so the
// host's registry credentials stay out, and shared by the test's calls,
// so `crane auth login` holds for the pushes after it.
var toolHomes sync.Map // *testing.T → string

// tryTool runs a client program offline with the test's HOME and config.
func tryTool(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	home, loaded := toolHomes.LoadOrStore(t, t.TempDir())
	if !loaded {
		t.Cleanup(func() { toolHomes.Delete(t) })
	}
	env := append(proctest.DropEnv(offlineEnv(), "DOCKER_", "HOME", "XDG_"), "HOME="+home.(string),
		"DOCKER_CONFIG="+filepath.Join(home.(string), ".docker"))
	out, err := proctest.Run(context.Background(), toolTimeout, env, bin, args...)
	t.Logf("%s %s:\n%s", filepath.Base(bin), strings.Join(args, " "), lastLines(out, 6))
	return out, err
}

// lastLines keeps a tool's log short in the test output.
func lastLines(out string, n int) string {
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"…"}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// readFile is os.ReadFile that fails the test.
func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
