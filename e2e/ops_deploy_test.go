package e2e

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// k8sDeployment is the part of deploy/k8s/deployment.yaml a kubelet and
// Prometheus act on.
type k8sDeployment struct {
	Spec struct {
		Template struct {
			Metadata struct {
				Annotations map[string]string `yaml:"annotations"`
			} `yaml:"metadata"`
			Spec struct {
				Containers []struct {
					Args  []string                `yaml:"args"`
					Env   []struct{ Name string } `yaml:"env"`
					Ports []struct {
						Name          string `yaml:"name"`
						ContainerPort int    `yaml:"containerPort"`
					} `yaml:"ports"`
					Readiness k8sProbe `yaml:"readinessProbe"`
					Liveness  k8sProbe `yaml:"livenessProbe"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

type k8sProbe struct {
	HTTPGet struct {
		Path string `yaml:"path"`
		Port string `yaml:"port"`
	} `yaml:"httpGet"`
}

// hubmirror started with the pod's own arguments (the Deployment's, and
// the cluster's StatefulSet's) answers the kubelet's probes and
// Prometheus' scrape where the manifest sends them, and serves the
// registry API on the port the Service targets.
func TestK8sManifestAgainstTheBinary(t *testing.T) {
	t.Parallel()
	for _, path := range []string{"../deploy/k8s/deployment.yaml", "../deploy/k8s/cluster/replicas.yaml"} {
		t.Run(filepath.Base(path), func(t *testing.T) { k8sPodAgainstTheBinary(t, path) })
	}
}

func k8sPodAgainstTheBinary(t *testing.T, path string) {
	var d k8sDeployment
	opsReadYAML(t, path, &d)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatal("want one container")
	}
	c := d.Spec.Template.Spec.Containers[0]
	ports := map[string]int{}
	for _, p := range c.Ports {
		ports[p.Name], ports[strconv.Itoa(p.ContainerPort)] = p.ContainerPort, p.ContainerPort
	}
	args, local := loopbackArgs(t, c.Args)
	h := runHubmirror(t, t.TempDir(), args...)
	local[opsPortOf(t, opsFlag(c.Args, "--listen"))] = h.URL

	at := func(port string) string {
		base, ok := local[ports[port]]
		if !ok {
			t.Fatalf("port %q is not one hubmirror listens on with these args (%q)", port, c.Args)
		}
		return base
	}
	for _, p := range []k8sProbe{c.Readiness, c.Liveness} {
		if resp, body := opsGet(t, http.MethodGet, at(p.HTTPGet.Port)+p.HTTPGet.Path); resp.StatusCode != http.StatusOK {
			t.Errorf("probe %s on port %s: %d %s", p.HTTPGet.Path, p.HTTPGet.Port, resp.StatusCode, body)
		}
	}
	ann := d.Spec.Template.Metadata.Annotations
	resp, body := opsGet(t, http.MethodGet, at(ann["prometheus.io/port"])+ann["prometheus.io/path"])
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "hubmirror_fills_in_flight") {
		t.Errorf("scrape of %s on port %s: %d, no hubmirror metrics", ann["prometheus.io/path"], ann["prometheus.io/port"], resp.StatusCode)
	}
	if resp, _ := opsGet(t, http.MethodGet, at("registry")+"/v2/"); resp.StatusCode != http.StatusOK {
		t.Errorf("registry API on the Service's target port: %d", resp.StatusCode)
	}
	var names []string
	for _, e := range c.Env {
		names = append(names, e.Name)
	}
	assertKnownEnv(t, names...)
}

// loopbackArgs turns the manifest's container args into a test's: the
// harness picks --listen and --data-dir, and --metrics-listen moves to a
// free loopback port. It returns the args and, by the manifest's port,
// the loopback base URL now serving it.
func loopbackArgs(t *testing.T, in []string) ([]string, map[int]string) {
	t.Helper()
	local := map[int]string{}
	var out []string
	for i := 0; i < len(in); i++ {
		name, val, inline := strings.Cut(in[i], "=")
		if !inline && i+1 < len(in) && strings.HasPrefix(name, "--") && !strings.HasPrefix(in[i+1], "--") {
			val = in[i+1]
			i++
		}
		switch name {
		case "serve", "--listen", "--data-dir":
		case "--metrics-listen":
			addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t)))
			local[opsPortOf(t, val)] = "http://" + addr
			out = append(out, name, addr)
		default:
			out = append(out, name)
			if val != "" {
				out = append(out, val)
			}
		}
	}
	return out, local
}

func opsFlag(args []string, name string) string {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

func opsPortOf(t *testing.T, addr string) int {
	t.Helper()
	_, p, err := net.SplitHostPort(addr)
	n, perr := strconv.Atoi(p)
	if err != nil || perr != nil {
		t.Fatalf("no port in %q", addr)
	}
	return n
}

// The systemd unit's ExecStart flags and the environment file's settings
// (commented-out examples included) are ones `hubmirror serve` accepts,
// and a server started with the file's active settings runs.
func TestSystemdFilesAgainstTheBinary(t *testing.T) {
	t.Parallel()
	unit, err := os.ReadFile("../deploy/hubmirror.service")
	if err != nil {
		t.Fatal(err)
	}
	execStart := regexp.MustCompile(`(?m)^ExecStart=(.*)$`).FindSubmatch(unit)
	if execStart == nil {
		t.Fatal("hubmirror.service has no ExecStart")
	}
	args, _ := loopbackArgs(t, strings.Fields(string(execStart[1]))[1:])

	envFile, err := os.ReadFile("../deploy/hubmirror.env")
	if err != nil {
		t.Fatal(err)
	}
	flags := envFlags(t)
	var names []string
	for _, line := range strings.Split(string(envFile), "\n") {
		commented := strings.HasPrefix(line, "#")
		name, val, ok := strings.Cut(strings.TrimPrefix(line, "#"), "=")
		if !ok || strings.ContainsAny(name, " \t") {
			continue
		}
		names = append(names, name)
		switch name {
		case "HUBMIRROR_LISTEN", "HUBMIRROR_DATA_DIR":
		case "HUBMIRROR_METRICS_LISTEN":
			args = append(args, "--metrics-listen", net.JoinHostPort("127.0.0.1", strconv.Itoa(freePort(t))))
		default:
			if !commented && flags[name] != "" {
				args = append(args, flags[name], val)
			}
		}
	}
	assertKnownEnv(t, names...)
	runHubmirror(t, t.TempDir(), args...)
}

// helpEnvRe reads one flag line of `hubmirror serve --help`.
var helpEnvRe = regexp.MustCompile(`(?m)^\s*(--[a-z0-9-]+).*\[\$(HUBMIRROR_[A-Z0-9_]+)\]`)

// envFlags maps each HUBMIRROR_* variable serve reads to its flag, from
// the binary's own help.
func envFlags(t *testing.T) map[string]string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, buildHubmirror(t), "serve", "--help").Output()
	if err != nil {
		t.Fatalf("hubmirror serve --help: %v", err)
	}
	flags := map[string]string{}
	for _, m := range helpEnvRe.FindAllStringSubmatch(string(out), -1) {
		flags[m[2]] = m[1]
	}
	if len(flags) == 0 {
		t.Fatalf("no HUBMIRROR_ variables in serve --help:\n%s", out)
	}
	return flags
}

func assertKnownEnv(t *testing.T, names ...string) {
	t.Helper()
	flags := envFlags(t)
	for _, n := range names {
		if flags[n] == "" {
			t.Errorf("%s is not a variable hubmirror serve reads", n)
		}
	}
}

func opsReadYAML(t *testing.T, path string, into any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
