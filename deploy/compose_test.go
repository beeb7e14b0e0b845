package deploy

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/internal/haproxytest"
)

// The parts of compose.yaml the test reads.
type compose struct {
	Services map[string]struct {
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Volumes     []string          `yaml:"volumes"`
	} `yaml:"services"`
	Volumes  map[string]any `yaml:"volumes"`
	Networks map[string]struct {
		IPAM struct {
			Config []struct {
				Subnet string `yaml:"subnet"`
			} `yaml:"config"`
		} `yaml:"ipam"`
	} `yaml:"networks"`
}

// compose.yaml runs as many replicas as haproxy.cfg names, each with a
// volume of its own at --data-dir and trusting HAProxy's network, and
// HAProxy with haproxy.cfg itself, naming each replica by its service on
// the --listen port.
func TestComposeRunsReplicasBehindHAProxy(t *testing.T) {
	b, err := os.ReadFile("compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var c compose
	decode(t, b, &c)
	lb := c.Services["haproxy"]
	if !slices.Contains(lb.Volumes, "./haproxy/haproxy.cfg:"+haproxyConfigDir+"/haproxy.cfg:ro") {
		t.Errorf("haproxy mounts %q, want ./haproxy/haproxy.cfg at %s", lb.Volumes, haproxyConfigDir)
	}
	subnet := netip.MustParsePrefix(c.Networks["cluster"].IPAM.Config[0].Subnet)
	volumes := map[string]bool{}
	var replicas []string
	for i := range haproxytest.Replicas {
		name := fmt.Sprintf("hubmirror-%d", i)
		svc, ok := c.Services[name]
		if !ok {
			t.Fatalf("no service %s", name)
		}
		args := svc.Command
		if len(args) == 0 || args[0] != "serve" {
			t.Fatalf("%s runs %q, want hubmirror serve", name, args)
		}
		want := fmt.Sprintf("%s:%d", name, flagPort(t, args, "--listen"))
		if got := lb.Environment[fmt.Sprintf("HUBMIRROR_REPLICA%d", i+1)]; got != want {
			t.Errorf("HUBMIRROR_REPLICA%d = %q, want %q", i+1, got, want)
		}
		replicas = append(replicas, want)
		if p, err := netip.ParsePrefix(flagValue(t, args, "--trusted-proxy")); err != nil || p != subnet {
			t.Errorf("%s trusts %v (%v), want HAProxy's network %s", name, p, err, subnet)
		}
		if len(svc.Volumes) != 1 {
			t.Fatalf("%s has volumes %q, want its own cache", name, svc.Volumes)
		}
		vol, dir, _ := strings.Cut(svc.Volumes[0], ":")
		if _, named := c.Volumes[vol]; !named || volumes[vol] || dir != flagValue(t, args, "--data-dir") {
			t.Errorf("%s: volume %q, want a named volume of its own at --data-dir", name, svc.Volumes[0])
		}
		volumes[vol] = true
	}
	if _, err := os.Stat(filepath.Join("haproxy", "haproxy.cfg")); err != nil {
		t.Fatal(err)
	}
	requireHAProxy(t)
	if out, err := haproxytest.Check(haproxyCfg, replicas); err != nil {
		t.Errorf("haproxy -c with compose's replica names: %v\n%s", err, out)
	}
}
