package deploy

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// The parts of the manifests the tests read.
type (
	object struct {
		Kind     string `yaml:"kind"`
		Metadata struct {
			Name string `yaml:"name"`
		} `yaml:"metadata"`
	}
	deployment struct {
		Spec struct {
			Strategy struct {
				Type string `yaml:"type"`
			} `yaml:"strategy"`
			Template struct {
				Metadata struct {
					Annotations map[string]string `yaml:"annotations"`
				} `yaml:"metadata"`
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	podSpec struct {
		TerminationGracePeriodSeconds int `yaml:"terminationGracePeriodSeconds"`
		SecurityContext               struct {
			RunAsNonRoot bool `yaml:"runAsNonRoot"`
			RunAsUser    int  `yaml:"runAsUser"`
		} `yaml:"securityContext"`
		Containers []container `yaml:"containers"`
		Volumes    []struct {
			Name string `yaml:"name"`
			PVC  *struct {
				ClaimName string `yaml:"claimName"`
			} `yaml:"persistentVolumeClaim"`
		} `yaml:"volumes"`
	}
	container struct {
		Args  []string `yaml:"args"`
		Ports []struct {
			Name          string `yaml:"name"`
			ContainerPort int    `yaml:"containerPort"`
		} `yaml:"ports"`
		ReadinessProbe probe `yaml:"readinessProbe"`
		LivenessProbe  probe `yaml:"livenessProbe"`
		Resources      struct {
			Requests map[string]string `yaml:"requests"`
			Limits   map[string]string `yaml:"limits"`
		} `yaml:"resources"`
		SecurityContext struct {
			AllowPrivilegeEscalation *bool `yaml:"allowPrivilegeEscalation"`
			Capabilities             struct {
				Drop []string `yaml:"drop"`
			} `yaml:"capabilities"`
		} `yaml:"securityContext"`
		VolumeMounts []volumeMount `yaml:"volumeMounts"`
	}
	volumeMount struct {
		Name      string `yaml:"name"`
		MountPath string `yaml:"mountPath"`
	}
	probe struct {
		HTTPGet *struct {
			Path string    `yaml:"path"`
			Port yaml.Node `yaml:"port"` // a number or a port name
		} `yaml:"httpGet"`
	}
	service struct {
		Spec struct {
			Ports []struct {
				TargetPort yaml.Node `yaml:"targetPort"`
			} `yaml:"ports"`
		} `yaml:"spec"`
	}
)

// serverGrace is how long hubmirror lets streams finish after SIGTERM
// (shutdownGrace in server.go); the pod must be given longer.
const serverGrace = 30

// manifests reads every YAML file in k8s/ by kind; it fails the test on a
// file that does not parse.
func manifests(t *testing.T) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob("k8s/*.yaml")
	byKind := map[string][]byte{}
	for _, f := range files {
		o, b := readObject(t, f)
		byKind[o.Kind] = b
	}
	return byKind
}

// readObject reads one manifest, failing the test if it is not a
// Kubernetes object.
func readObject(t *testing.T, path string) (object, []byte) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var o object
	if err := yaml.Unmarshal(b, &o); err != nil || o.Kind == "" {
		t.Fatalf("%s: not a Kubernetes object (%v)", path, err)
	}
	return o, b
}

func decode(t *testing.T, b []byte, into any) {
	t.Helper()
	if err := yaml.Unmarshal(b, into); err != nil {
		t.Fatal(err)
	}
}

// The kubelet's probes and Prometheus reach the endpoints hubmirror serves,
// on the ops port the container's flags open (e2e/ops_deploy_test.go runs
// the binary with these flags and sends the probes).
func TestK8sProbesAndScrapeHitOpsEndpoints(t *testing.T) {
	var d deployment
	decode(t, manifests(t)["Deployment"], &d)
	c := theContainer(t, d)
	ops := flagPort(t, c.Args, "--metrics-listen")
	for _, p := range []struct {
		name, want string
		probe      probe
	}{{"readinessProbe", "/readyz", c.ReadinessProbe}, {"livenessProbe", "/healthz", c.LivenessProbe}} {
		if p.probe.HTTPGet == nil {
			t.Errorf("%s is not an httpGet probe", p.name)
			continue
		}
		if p.probe.HTTPGet.Path != p.want {
			t.Errorf("%s path %q, want %q", p.name, p.probe.HTTPGet.Path, p.want)
		}
		if got := resolvePort(t, c, p.probe.HTTPGet.Port); got != ops {
			t.Errorf("%s goes to port %d, want the ops port %d (--metrics-listen), which stays plain HTTP when --tls-cert makes the registry port HTTPS", p.name, got, ops)
		}
	}
	a := d.Spec.Template.Metadata.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" || a["prometheus.io/port"] != strconv.Itoa(ops) {
		t.Errorf("Prometheus annotations %v, want scrape of /metrics on %d", a, ops)
	}
}

// The Service sends registry clients to the API port, and the cache
// volume is mounted where --data-dir points.
func TestK8sServiceAndVolumeMatchFlags(t *testing.T) {
	m := manifests(t)
	var d deployment
	var svc service
	var pvc object
	decode(t, m["Deployment"], &d)
	decode(t, m["Service"], &svc)
	decode(t, m["PersistentVolumeClaim"], &pvc)
	c := theContainer(t, d)
	api := flagPort(t, c.Args, "--listen")
	if len(svc.Spec.Ports) == 0 {
		t.Fatal("the Service exposes no port")
	}
	for _, p := range svc.Spec.Ports {
		if got := resolvePort(t, c, p.TargetPort); got != api {
			t.Errorf("Service targets port %d; the registry API is on %d (--listen)", got, api)
		}
	}
	dataDir := flagValue(t, c.Args, "--data-dir")
	claimed := ""
	for _, v := range d.Spec.Template.Spec.Volumes {
		if v.PVC != nil && v.PVC.ClaimName == pvc.Metadata.Name {
			claimed = v.Name
		}
	}
	if !slices.Contains(c.VolumeMounts, volumeMount{Name: claimed, MountPath: dataDir}) {
		t.Errorf("claim %q is not mounted at --data-dir %s (volume %q, mounts %+v)", pvc.Metadata.Name, dataDir, claimed, c.VolumeMounts)
	}
	if d.Spec.Strategy.Type != "Recreate" {
		t.Errorf("strategy %q: a new pod cannot open the cache while the old one holds its lock; want Recreate", d.Spec.Strategy.Type)
	}
}

// The pod runs as non-root with nothing to escalate to, has resources set,
// and gets longer than hubmirror's shutdown grace to finish streams.
func TestK8sPodIsLockedDown(t *testing.T) {
	var d deployment
	decode(t, manifests(t)["Deployment"], &d)
	spec := d.Spec.Template.Spec
	c := theContainer(t, d)
	if !spec.SecurityContext.RunAsNonRoot || spec.SecurityContext.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v, want runAsNonRoot with a non-zero runAsUser", spec.SecurityContext)
	}
	if e := c.SecurityContext.AllowPrivilegeEscalation; e == nil || *e {
		t.Error("container allows privilege escalation")
	}
	if !slices.Contains(c.SecurityContext.Capabilities.Drop, "ALL") {
		t.Errorf("container drops capabilities %v, want ALL", c.SecurityContext.Capabilities.Drop)
	}
	if c.Resources.Requests["cpu"] == "" || c.Resources.Requests["memory"] == "" || c.Resources.Limits["memory"] == "" {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", c.Resources)
	}
	if spec.TerminationGracePeriodSeconds <= serverGrace {
		t.Errorf("terminationGracePeriodSeconds %d: the kubelet would kill streams hubmirror is still finishing (it allows %d s)", spec.TerminationGracePeriodSeconds, serverGrace)
	}
}

// kustomization.yaml lists every manifest, so `kubectl apply -k` installs
// all of them.
func TestKustomizationListsEveryManifest(t *testing.T) {
	var k struct {
		Resources []string `yaml:"resources"`
	}
	b, err := os.ReadFile("k8s/kustomization.yaml")
	if err != nil {
		t.Fatal(err)
	}
	decode(t, b, &k)
	files, _ := filepath.Glob("k8s/*.yaml")
	for _, f := range files {
		base := filepath.Base(f)
		if base != "kustomization.yaml" && !slices.Contains(k.Resources, base) {
			t.Errorf("kustomization.yaml does not list %s", base)
		}
	}
}

func theContainer(t *testing.T, d deployment) container {
	t.Helper()
	return serveContainer(t, d.Spec.Template.Spec)
}

// serveContainer is the pod's one container, which must run `hubmirror serve`.
func serveContainer(t *testing.T, spec podSpec) container {
	t.Helper()
	cs := spec.Containers
	if len(cs) != 1 {
		t.Fatalf("want one container, got %d", len(cs))
	}
	if len(cs[0].Args) == 0 || cs[0].Args[0] != "serve" {
		t.Fatalf("container args %q do not run `hubmirror serve`", cs[0].Args)
	}
	return cs[0]
}

// flagValue finds --name=value or --name value in args.
func flagValue(t *testing.T, args []string, name string) string {
	t.Helper()
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v
		}
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	t.Fatalf("args %q do not set %s", args, name)
	return ""
}

func flagPort(t *testing.T, args []string, name string) int {
	t.Helper()
	_, port, err := net.SplitHostPort(flagValue(t, args, name))
	n, perr := strconv.Atoi(port)
	if err != nil || perr != nil {
		t.Fatalf("%s: no port in %q", name, flagValue(t, args, name))
	}
	return n
}

// resolvePort turns a probe's or Service's port (number or name) into the
// container port it means.
func resolvePort(t *testing.T, c container, port yaml.Node) int {
	t.Helper()
	if n, err := strconv.Atoi(port.Value); err == nil {
		return n
	}
	for _, p := range c.Ports {
		if p.Name == port.Value {
			return p.ContainerPort
		}
	}
	t.Fatalf("port %q names no container port", port.Value)
	return 0
}
