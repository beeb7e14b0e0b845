package e2e

import (
	"os"
	"path/filepath"
	"testing"

	"gopkg.in/yaml.v3"
)

// upstreamEntry is one item of the `upstreams:` list in hubmirror's config
// file, in the shape config.example.yaml documents for users.
type upstreamEntry struct {
	Host         string   `yaml:"host"`
	URL          string   `yaml:"url"`
	Username     string   `yaml:"username,omitempty"`
	PasswordFile string   `yaml:"password_file,omitempty"`
	RealmHosts   []string `yaml:"realm_hosts,omitempty"`
}

// writeConfig writes a hubmirror config file listing the upstreams and
// returns its path, for `serve --config`.
func writeConfig(t *testing.T, upstreams ...upstreamEntry) string {
	t.Helper()
	b, err := yaml.Marshal(map[string]any{"upstreams": upstreams})
	if err != nil {
		t.Fatalf("marshal config: %v", err)
	}
	return writeTestFile(t, "hubmirror.yaml", b, 0o644)
}

// writeTestFile writes content to a new file in a TempDir and returns its path.
func writeTestFile(t *testing.T, name string, content []byte, perm os.FileMode) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, perm); err != nil {
		t.Fatalf("write %s: %v", name, err)
	}
	return p
}
