package e2e

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// skopeoTimeout bounds one skopeo call; the images used here are small.
const skopeoTimeout = 2 * time.Minute

// skopeoCopy runs `skopeo copy src dst`, failing the test on error, and
// returns the combined output. extraArgs are placed before src and dst, so
// they may be copy flags or skopeo's global flags such as
// --override-os/--override-arch (cobra accepts those after the subcommand).
func skopeoCopy(t *testing.T, src, dst string, extraArgs ...string) string {
	t.Helper()
	out, err := trySkopeoCopy(t, src, dst, extraArgs...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// trySkopeoCopy is skopeoCopy for tests that expect the copy to fail.
// TLS verification is off on both sides because every registry in these
// tests is plain http on 127.0.0.1.
func trySkopeoCopy(t *testing.T, src, dst string, extraArgs ...string) (string, error) {
	t.Helper()
	requireTools(t, "skopeo")
	args := []string{"copy", "--src-tls-verify=false", "--dest-tls-verify=false"}
	args = append(append(args, extraArgs...), src, dst)
	return runSkopeo(t, args...)
}

// runSkopeo runs skopeo isolated from the host's containers configuration:
// no signature policy, no registries.conf rewrites, no stored credentials.
func runSkopeo(t *testing.T, args ...string) (string, error) {
	t.Helper()
	dir := t.TempDir()
	emptyConf := filepath.Join(dir, "registries.conf")
	if err := os.WriteFile(emptyConf, nil, 0o644); err != nil {
		t.Fatalf("write registries.conf: %v", err)
	}
	env := append(os.Environ(),
		"CONTAINERS_REGISTRIES_CONF="+emptyConf,
		"REGISTRY_AUTH_FILE="+filepath.Join(dir, "auth.json"), // absent: anonymous
	)
	return proctest.Run(context.Background(), skopeoTimeout, env, "skopeo", append([]string{"--insecure-policy", "--tmpdir", dir}, args...)...)
}
