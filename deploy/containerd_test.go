package deploy

import (
	"net/url"
	"path/filepath"
	"slices"
	"testing"

	"github.com/BurntSushi/toml"
)

// hostsFile is containerd's certs.d/<registry>/hosts.toml.
type hostsFile struct {
	Server string `toml:"server"`
	Host   map[string]struct {
		Capabilities []string `toml:"capabilities"`
	} `toml:"host"`
}

// registryServer is where containerd sends a registry's pulls when no
// mirror answers; Docker Hub's API lives on another name than docker.io.
var registryServer = map[string]string{"docker.io": "registry-1.docker.io"}

// Every hosts.toml example parses with no key containerd would ignore,
// falls back to its own registry, and uses the mirror only to pull and
// resolve: the mirror refuses pushes.
func TestContainerdHostsFiles(t *testing.T) {
	files, _ := filepath.Glob("containerd/*/hosts.toml")
	if len(files) < 2 {
		t.Fatalf("found %d hosts.toml examples, want docker.io and ghcr.io", len(files))
	}
	for _, f := range files {
		var h hostsFile
		md, err := toml.DecodeFile(f, &h)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if extra := md.Undecoded(); len(extra) > 0 {
			t.Errorf("%s: keys containerd does not know: %v", f, extra)
		}
		checkServer(t, f, h.Server)
		if len(h.Host) == 0 {
			t.Errorf("%s: no mirror host", f)
		}
		for addr, host := range h.Host {
			if u, err := url.Parse(addr); err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
				t.Errorf("%s: mirror %q is not an http(s) URL", f, addr)
			}
			if !slices.Equal(host.Capabilities, []string{"pull", "resolve"}) {
				t.Errorf("%s: mirror capabilities %q, want [pull resolve]", f, host.Capabilities)
			}
		}
	}
}

// checkServer wants the file's directory name to be the registry its
// server line falls back to.
func checkServer(t *testing.T, file, server string) {
	t.Helper()
	registry := filepath.Base(filepath.Dir(file))
	want := registry
	if s, ok := registryServer[registry]; ok {
		want = s
	}
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "https" || u.Host != want {
		t.Errorf("%s: server %q, want https://%s", file, server, want)
	}
}
