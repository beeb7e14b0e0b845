package dockertest

import (
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// Starter starts one named process. The caller decides where its log goes
// and when it is stopped: a test registers a cleanup, the benchmark tracks
// it for its own trap.
type Starter func(name string, env []string, bin string, args ...string) (*proctest.Proc, error)

// Process names a daemon's process and gives it its environment.
type Process struct {
	Name string   // which also names its log
	Env  []string // nil: the caller's environment
}

// WithSbin appends the sbin directories missing from path. Debian installs
// dockerd and runc in /usr/sbin, which non-login shells and some CI runners
// leave off PATH; dockerd itself also finds runc through PATH.
func WithSbin(path string) string {
	dirs := filepath.SplitList(path)
	for _, d := range []string{"/usr/local/sbin", "/usr/sbin", "/sbin"} {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return strings.Join(dirs, string(os.PathListSeparator))
}
