package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// nowhere is where hosts.toml sends containerd when the mirror fails:
// nothing listens on port 9 (discard), so a pull that falls back past the
// mirror fails at once instead of quietly succeeding from somewhere else.
const nowhere = "http://127.0.0.1:9"

// ctr runs containerd's own client against this daemon. In containerd 1.6
// ctr itself talks to the registry, so it gets the blackholed proxy too.
func (c *containerd) ctr(t *testing.T, timeout time.Duration, args ...string) (string, error) {
	t.Helper()
	return proctest.Run(context.Background(), timeout, offlineEnv(), "ctr", append([]string{"--address", c.Address}, args...)...)
}

// imageDigests lists the images containerd holds, by reference, with the
// manifest digest each one was pulled as.
func (c *containerd) imageDigests(t *testing.T) map[string]string {
	t.Helper()
	out, err := c.ctr(t, cliTimeout, "images", "ls")
	if err != nil {
		t.Fatal(err)
	}
	// REF TYPE DIGEST SIZE PLATFORMS LABELS, whitespace-aligned.
	digests := map[string]string{}
	for _, line := range strings.Split(out, "\n")[1:] {
		if f := strings.Fields(line); len(f) >= 3 {
			digests[f[0]] = f[2]
		}
	}
	return digests
}

// writeHostsDir writes a containerd hosts directory that sends every pull
// of the named registries to mirrorURL, and returns it for --hosts-dir.
func writeHostsDir(t *testing.T, mirrorURL string, registries ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, reg := range registries {
		toml := fmt.Sprintf("server = %q\n\n[host.%q]\n  capabilities = [\"pull\", \"resolve\"]\n", nowhere, mirrorURL)
		if err := os.MkdirAll(filepath.Join(dir, reg), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, reg, "hosts.toml"), []byte(toml), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}
