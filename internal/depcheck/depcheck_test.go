package depcheck

import (
	"go/build"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/hubmirror/hubmirror"

// allowed lists, for each library package, the hubmirror packages its
// non-test code may reach, directly or through others. The arrows of
// DESIGN.md's picture: the root wires mirror to the cache, the upstream
// clients and the metrics; those three know nothing of each other or of
// the mirror; prefetch is a client of the API and shares no code with the
// server it talks to.
var allowed = map[string][]string{
	"cache":    nil,
	"upstream": nil,
	"metrics":  nil,
	"prefetch": nil,
	"mirror":   {"cache", "upstream", "metrics"},
}

// tools are the test and benchmark helpers: they may lean on each other,
// never on the server's packages, so a fake cannot borrow the code it is
// meant to check.
var tools = map[string][]string{
	"internal/blobtest":     nil,
	"internal/proctest":     nil,
	"internal/dockertest":   {"internal/proctest"},
	"upstream/upstreamtest": {"internal/blobtest"},
}

func TestImportsPointOneWay(t *testing.T) {
	rules := maps.Clone(allowed)
	maps.Copy(rules, tools)
	for pkg, may := range rules {
		for _, dep := range moduleDeps(t, pkg) {
			if !slices.Contains(may, dep) {
				t.Errorf("%s imports %s (directly or not); it may import only %v", pkg, dep, may)
			}
		}
	}
}

// TestTestHelpersStayInTests keeps the fakes out of the binary: no
// library package's non-test code reaches a *test helper package.
func TestTestHelpersStayInTests(t *testing.T) {
	for pkg := range allowed {
		for _, dep := range moduleDeps(t, pkg) {
			if strings.HasSuffix(dep, "test") {
				t.Errorf("%s reaches test helper package %s", pkg, dep)
			}
		}
	}
}

// moduleDeps returns the hubmirror packages (relative to the module) that
// pkg's non-test code imports, transitively.
func moduleDeps(t *testing.T, pkg string) []string {
	t.Helper()
	seen := map[string]bool{}
	var visit func(rel string)
	visit = func(rel string) {
		p, err := build.Import(path.Join(module, rel), "", 0)
		if err != nil {
			t.Fatalf("%s: %v", rel, err)
		}
		for _, imp := range p.Imports {
			dep, ok := strings.CutPrefix(imp, module+"/")
			if !ok || seen[dep] {
				continue
			}
			seen[dep] = true
			visit(dep)
		}
	}
	visit(pkg)
	deps := make([]string, 0, len(seen))
	for d := range seen {
		deps = append(deps, d)
	}
	slices.Sort(deps)
	return deps
}
