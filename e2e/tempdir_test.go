package e2e

import (
	"os"
	"testing"
)

// shortTempDir returns a fresh directory directly under /tmp, removed when
// the test ends. Unix socket paths must fit in 108 bytes, and t.TempDir()
// (which embeds the test name, under a possibly long $TMPDIR) can exceed
// that once containerd appends its own suffixes.
func shortTempDir(t *testing.T, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("/tmp", prefix)
	if err != nil {
		t.Fatalf("make short temp dir: %v", err)
	}
	t.Cleanup(func() {
		if err := os.RemoveAll(dir); err != nil {
			t.Errorf("remove %s: %v", dir, err)
		}
	})
	return dir
}
