package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// One-word hosted names behind HAProxy, listed in its hosted ACL as
// haproxy.cfg says (^(library/)?<name>$): a push of app1 is pulled back as
// library/app1, the name dockerd's registry-mirrors and a child hubmirror
// ask for, because both spellings hash to the replica that took the push.
// Three names, so that a key on the spelling (a one-in-three chance of
// the same replica each) cannot pass by luck.
func TestClusterOneWordHostedNames(t *testing.T) {
	t.Parallel()
	names := []string{"app1", "app2", "app3"}
	c := startClusterWith(t, oneWordHostedCfg(t, `^(library/)?(app1|app2|app3)$`),
		"--offline", "--hosted", "app1", "--hosted", "app2", "--hosted", "app3")
	for _, n := range names {
		img := randomImage(t)
		push, _ := name.ParseReference(c.host+"/"+n+":1", name.Insecure)
		if err := remote.Write(push, img, remote.WithTransport(clusterTransport)); err != nil {
			t.Fatalf("push %s through HAProxy: %v", push, err)
		}
		want, _ := img.Digest()
		pull, _ := name.ParseReference(c.host+"/library/"+n+":1", name.Insecure)
		got, err := remote.Image(pull, remote.WithTransport(clusterTransport))
		if err != nil {
			t.Errorf("pull %s of the pushed %s: %v", pull, push, err)
			continue
		}
		if d, _ := got.Digest(); d != want {
			t.Errorf("%s is %s, pushed %s", pull, d, want)
		}
		layers, _ := got.Layers()
		for i, l := range layers {
			d, _ := l.Digest()
			if err := readLayer(l, d); err != nil {
				t.Errorf("%s layer %d: %v", pull, i, err)
			}
		}
	}
}

// oneWordHostedCfg is the deployed haproxy.cfg with pattern added to its
// hosted ACL, as an operator adds each --hosted pattern.
func oneWordHostedCfg(t *testing.T, pattern string) string {
	t.Helper()
	b, err := os.ReadFile(clusterCfg)
	if err != nil {
		t.Fatal(err)
	}
	acl := "acl hosted var(txn.name) -m reg ^team/[^/]+$"
	if !strings.Contains(string(b), acl+"\n") {
		t.Fatalf("%s has no line %q", clusterCfg, acl)
	}
	p := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), acl+"\n", acl+" "+pattern+"\n", 1)), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
