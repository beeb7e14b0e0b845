package deploy

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/haproxytest"
)

// The parts of the cluster manifests the tests read.
type (
	statefulSet struct {
		Spec struct {
			Replicas    int    `yaml:"replicas"`
			ServiceName string `yaml:"serviceName"`
			Template    struct {
				Spec podSpec `yaml:"spec"`
			} `yaml:"template"`
			VolumeClaimTemplates []object `yaml:"volumeClaimTemplates"`
		} `yaml:"spec"`
	}
	headless struct {
		Spec struct {
			ClusterIP                string `yaml:"clusterIP"`
			PublishNotReadyAddresses bool   `yaml:"publishNotReadyAddresses"`
		} `yaml:"spec"`
	}
	balancer struct {
		Spec struct {
			Template struct {
				Spec struct {
					Containers []struct {
						Env []struct {
							Name  string `yaml:"name"`
							Value string `yaml:"value"`
						} `yaml:"env"`
						VolumeMounts []volumeMount `yaml:"volumeMounts"`
					} `yaml:"containers"`
					Volumes []struct {
						Name      string `yaml:"name"`
						ConfigMap *struct {
							Name string `yaml:"name"`
						} `yaml:"configMap"`
					} `yaml:"volumes"`
				} `yaml:"spec"`
			} `yaml:"template"`
		} `yaml:"spec"`
	}
	kustomization struct {
		Namespace          string   `yaml:"namespace"`
		Resources          []string `yaml:"resources"`
		ConfigMapGenerator []struct {
			Name  string   `yaml:"name"`
			Files []string `yaml:"files"`
		} `yaml:"configMapGenerator"`
	}
)

// haproxyConfigDir is where the haproxy image reads haproxy.cfg.
const haproxyConfigDir = "/usr/local/etc/haproxy"

// clusterObjects reads k8s/cluster/*.yaml by "Kind/name".
func clusterObjects(t *testing.T) map[string][]byte {
	t.Helper()
	files, _ := filepath.Glob("k8s/cluster/*.yaml")
	out := map[string][]byte{}
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		o, b := readObject(t, f)
		out[o.Kind+"/"+o.Metadata.Name] = b
	}
	return out
}

func readKustomization(t *testing.T, dir string) kustomization {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k kustomization
	decode(t, b, &k)
	return k
}

// The replicas' StatefulSet and HAProxy agree: HAProxy names each pod of
// the StatefulSet by its DNS name on the --listen port, as many as
// haproxy.cfg has servers; each pod has a volume of its own at --data-dir
// and time to drain; HAProxy mounts the ConfigMap generated from
// haproxy.cfg where it reads its config.
func TestClusterManifestsMatchHAProxyConfig(t *testing.T) {
	objs := clusterObjects(t)
	k := readKustomization(t, "k8s/cluster")
	var sts statefulSet
	var svc headless
	var lb balancer
	decode(t, objs["StatefulSet/hubmirror"], &sts)
	decode(t, objs["Service/"+sts.Spec.ServiceName], &svc)
	decode(t, objs["Deployment/hubmirror-haproxy"], &lb)

	if sts.Spec.Replicas != haproxytest.Replicas {
		t.Errorf("StatefulSet runs %d replicas; haproxy.cfg names %d servers", sts.Spec.Replicas, haproxytest.Replicas)
	}
	if svc.Spec.ClusterIP != "None" || !svc.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: %+v, want headless and publishing pods not ready yet (HAProxy checks readiness itself)", sts.Spec.ServiceName, svc.Spec)
	}
	c := serveContainer(t, sts.Spec.Template.Spec)
	assertReplicaPod(t, sts, c)

	if len(lb.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("HAProxy pod has %d containers, want 1", len(lb.Spec.Template.Spec.Containers))
	}
	hc := lb.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	for _, e := range hc.Env {
		env[e.Name] = e.Value
	}
	var replicas []string
	for i := range haproxytest.Replicas {
		want := fmt.Sprintf("hubmirror-%d.%s.%s.svc.cluster.local:%d", i, sts.Spec.ServiceName, k.Namespace, flagPort(t, c.Args, "--listen"))
		name := fmt.Sprintf("HUBMIRROR_REPLICA%d", i+1)
		if env[name] != want {
			t.Errorf("HAProxy's %s = %q, want the StatefulSet's pod %d: %q", name, env[name], i, want)
		}
		replicas = append(replicas, env[name])
	}
	assertMountsGeneratedConfig(t, lb, hc.VolumeMounts)
	requireHAProxy(t)
	if out, err := haproxytest.Check(haproxyCfg, replicas); err != nil {
		t.Errorf("haproxy -c with the Deployment's replica names: %v\n%s", err, out)
	}
}

func assertReplicaPod(t *testing.T, sts statefulSet, c container) {
	t.Helper()
	if len(sts.Spec.VolumeClaimTemplates) != 1 {
		t.Fatalf("StatefulSet has %d volumeClaimTemplates, want one cache volume per replica", len(sts.Spec.VolumeClaimTemplates))
	}
	claim := sts.Spec.VolumeClaimTemplates[0].Metadata.Name
	if dataDir := flagValue(t, c.Args, "--data-dir"); !slices.Contains(c.VolumeMounts, volumeMount{Name: claim, MountPath: dataDir}) {
		t.Errorf("claim template %q is not mounted at --data-dir %s (mounts %+v)", claim, dataDir, c.VolumeMounts)
	}
	if _, _, err := net.ParseCIDR(flagValue(t, c.Args, "--trusted-proxy")); err != nil {
		t.Errorf("--trusted-proxy: %v", err)
	}
	delay, err := time.ParseDuration(flagValue(t, c.Args, "--shutdown-delay"))
	if err != nil {
		t.Fatal(err)
	}
	if grace := sts.Spec.Template.Spec.TerminationGracePeriodSeconds; float64(grace) <= serverGrace+delay.Seconds() {
		t.Errorf("terminationGracePeriodSeconds %d: the kubelet would kill a replica still draining (%v) or finishing streams (%d s)", grace, delay, serverGrace)
	}
}

func assertMountsGeneratedConfig(t *testing.T, lb balancer, mounts []volumeMount) {
	t.Helper()
	gen := readKustomization(t, "haproxy").ConfigMapGenerator
	if len(gen) != 1 || !slices.Contains(gen[0].Files, filepath.Base(haproxyCfg)) {
		t.Fatalf("deploy/haproxy/kustomization.yaml generates %+v, want one ConfigMap from haproxy.cfg", gen)
	}
	if !slices.Contains(readKustomization(t, "k8s/cluster").Resources, "../../haproxy") {
		t.Error("k8s/cluster/kustomization.yaml does not include ../../haproxy, the ConfigMap")
	}
	for _, v := range lb.Spec.Template.Spec.Volumes {
		if v.ConfigMap != nil && v.ConfigMap.Name == gen[0].Name {
			if !slices.Contains(mounts, volumeMount{Name: v.Name, MountPath: haproxyConfigDir}) {
				t.Errorf("ConfigMap %s is not mounted at %s (mounts %+v)", gen[0].Name, haproxyConfigDir, mounts)
			}
			return
		}
	}
	t.Errorf("HAProxy mounts no ConfigMap %s", gen[0].Name)
}

// kubectl builds the kustomization, and the ConfigMap it makes holds
// haproxy.cfg byte for byte.
func TestClusterKustomizationBuilds(t *testing.T) {
	k := readKustomization(t, "k8s/cluster")
	files, _ := filepath.Glob("k8s/cluster/*.yaml")
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" && !slices.Contains(k.Resources, b) {
			t.Errorf("k8s/cluster/kustomization.yaml does not list %s", b)
		}
	}
	if _, err := exec.LookPath("kubectl"); err != nil {
		t.Skip("kubectl not installed: the build itself is not checked")
	}
	out, err := exec.Command("kubectl", "kustomize", "k8s/cluster").Output()
	if err != nil {
		t.Fatalf("kubectl kustomize k8s/cluster: %v", err)
	}
	want, err := os.ReadFile(haproxyCfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var cm struct {
			Kind string            `yaml:"kind"`
			Data map[string]string `yaml:"data"`
		}
		decode(t, []byte(doc), &cm)
		if cm.Kind == "ConfigMap" && cm.Data["haproxy.cfg"] == string(want) {
			return
		}
	}
	t.Error("the kustomization builds no ConfigMap holding deploy/haproxy/haproxy.cfg as it is")
}
