package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// The Go programs the e2e tests drive, each pinned. They come through the
// Go module proxy like any dependency, so a clean CI machine needs nothing
// but Go to run them.
const (
	craneModule       = "github.com/google/go-containerregistry/cmd/crane@v0.22.1"
	orasModule        = "oras.land/oras/cmd/oras@v1.3.6"
	conformanceModule = "github.com/opencontainers/distribution-spec/conformance@v0.0.0-20260831232431-97274622c111"
)

var goTools struct {
	mu    sync.Mutex
	built map[string]*goToolBuild
}

type goToolBuild struct {
	once sync.Once
	bin  string
	err  error
}

// goTool installs module@version once per test binary and returns the
// program's path. GOBIN is a directory per pinned version under the
// system temp dir, kept between runs: `go install` then finds the binary
// up to date in its build cache and costs a second, not a build.
func goTool(t *testing.T, module string) string {
	t.Helper()
	goTools.mu.Lock()
	if goTools.built == nil {
		goTools.built = map[string]*goToolBuild{}
	}
	b := goTools.built[module]
	if b == nil {
		b = &goToolBuild{}
		goTools.built[module] = b
	}
	goTools.mu.Unlock()
	b.once.Do(func() { b.bin, b.err = goInstall(module) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.bin
}

func goInstall(module string) (string, error) {
	path, version, _ := strings.Cut(module, "@")
	gobin := filepath.Join(os.TempDir(), "hubmirror-e2e-gobin", strings.NewReplacer("/", "_", "@", "_").Replace(module))
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "install", module)
	// Outside any module, so the repository's go.mod plays no part.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOBIN="+gobin, "GOFLAGS=", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s: %w\n%s", module, err, out)
	}
	bin := filepath.Join(gobin, filepath.Base(path))
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("go install %s (%s) left no %s: %w", path, version, bin, err)
	}
	return bin, nil
}
