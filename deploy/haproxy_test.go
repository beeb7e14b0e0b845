package deploy

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/haproxytest"
	"github.com/hubmirror/hubmirror/internal/proctest"
)

const haproxyCfg = "haproxy/haproxy.cfg"

func requireHAProxy(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("haproxy"); err != nil {
		t.Skip("haproxy not installed (.ci/run installs it)")
	}
}

func TestHAProxyConfigIsValid(t *testing.T) {
	requireHAProxy(t)
	out, err := haproxytest.Check(haproxyCfg, []string{"127.0.0.1:5001", "127.0.0.1:5002", "127.0.0.1:5003"})
	if err != nil {
		t.Fatalf("haproxy -c -f %s: %v\n%s", haproxyCfg, err, out)
	}
}

// replica stands in for a hubmirror: ready, answering everything, and
// remembering the last request's headers.
type replica struct {
	srv  *httptest.Server
	mu   sync.Mutex
	last http.Header
}

func startReplica(t *testing.T) *replica {
	r := &replica{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/readyz" {
			r.mu.Lock()
			r.last = req.Header.Clone()
			r.mu.Unlock()
		}
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func startBalancer(t *testing.T) (*haproxytest.Balancer, []*replica) {
	t.Helper()
	requireHAProxy(t)
	var reps []*replica
	var addrs []string
	for range haproxytest.Replicas {
		r := startReplica(t)
		reps = append(reps, r)
		addrs = append(addrs, strings.TrimPrefix(r.srv.URL, "http://"))
	}
	start := func(name string, env []string, bin string, args ...string) (*proctest.Proc, error) {
		p, err := proctest.Start(t.TempDir(), name, env, bin, args...)
		if err == nil {
			t.Cleanup(func() { p.Stop(5 * time.Second) })
		}
		return p, err
	}
	b, err := haproxytest.Start(start, haproxyCfg, addrs)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.WaitStatus(15*time.Second, "UP", haproxytest.ServerNames()...); err != nil {
		t.Fatal(err)
	}
	return b, reps
}

// replicaFor sends one request through the balancer and says which
// replica took it.
func replicaFor(t *testing.T, b *haproxytest.Balancer, method, path string, hdr ...string) string {
	t.Helper()
	req, err := http.NewRequest(method, b.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	name := resp.Header.Get("X-Hubmirror-Replica")
	if resp.StatusCode != http.StatusOK || name == "" {
		t.Fatalf("%s %s: %s, replica %q", method, path, resp.Status, name)
	}
	return name
}

func digest(i int) string { return fmt.Sprintf("sha256:%064x", i+1) }

// The routing rules of haproxy.cfg, through the real HAProxy: every
// spelling of one request's key lands on one replica, and keys spread.
func TestHAProxyRoutesEachKeyToOneReplica(t *testing.T) {
	b, _ := startBalancer(t)
	d := digest(7)
	same := map[string][][2]string{
		"a Docker Hub tag, however the client names it": {
			{"GET", "/v2/alpine/manifests/3.20"},
			{"HEAD", "/v2/library/alpine/manifests/3.20"},
			{"GET", "/v2/library/alpine/manifests/3.20?ns=docker.io"},
			{"GET", "/v2/library/alpine/manifests/latest?ns=registry-1.docker.io"},
			{"GET", "/v2/docker.io/library/alpine/manifests/latest"},
			{"GET", "/v2/library/alpine/tags/list?n=10"},
			{"GET", "/v2/library/alpine/referrers/" + d},
		},
		"a blob, whichever repository names it": {
			{"GET", "/v2/library/alpine/blobs/" + d},
			{"HEAD", "/v2/library/python/blobs/" + d},
			{"GET", "/v2/owner/tool/blobs/" + d + "?ns=ghcr.io"},
			{"GET", "/v2/ghcr.io/owner/tool/blobs/" + d},
		},
		"a second registry's repository, by ?ns= or by path prefix": {
			{"GET", "/v2/owner/tool/manifests/1.0?ns=ghcr.io"},
			{"GET", "/v2/ghcr.io/owner/tool/manifests/1.0"},
			{"GET", "/v2/GHCR.io/owner/tool/tags/list"},
		},
		"every request of a hosted repository, its blobs and upload sessions": {
			{"POST", "/v2/team/app/blobs/uploads/"},
			{"PATCH", "/v2/team/app/blobs/uploads/3f2a"},
			{"PUT", "/v2/team/app/blobs/uploads/3f2a?digest=" + d},
			{"HEAD", "/v2/team/app/blobs/" + d},
			{"GET", "/v2/team/app/blobs/" + digest(8)},
			{"PUT", "/v2/team/app/manifests/1.4"},
			{"GET", "/v2/team/app/tags/list"},
		},
	}
	for what, reqs := range same {
		first := replicaFor(t, b, reqs[0][0], reqs[0][1])
		for _, r := range reqs[1:] {
			if got := replicaFor(t, b, r[0], r[1]); got != first {
				t.Errorf("%s: %s %s went to %s, %s %s to %s", what, reqs[0][0], reqs[0][1], first, r[0], r[1], got)
			}
		}
	}
}

// Keys spread over every replica: blobs of one repository each by their
// digest, and each repository, hosted or not, by its name.
func TestHAProxySpreadsKeysOverReplicas(t *testing.T) {
	b, _ := startBalancer(t)
	d := digest(7)
	spread := map[string]func(i int) string{
		"blobs of one repository, keyed on their digest": func(i int) string { return "/v2/library/alpine/blobs/" + digest(i) },
		"tags of many repositories, keyed on the repository": func(i int) string {
			return fmt.Sprintf("/v2/library/app%d/manifests/latest", i)
		},
		"hosted repositories, keyed each on its own": func(i int) string { return fmt.Sprintf("/v2/team/app%d/blobs/%s", i, d) },
	}
	for what, path := range spread {
		share := map[string]int{}
		const n = 90
		for i := range n {
			share[replicaFor(t, b, "GET", path(i))]++
		}
		t.Logf("%s: %d keys spread as %v", what, n, share)
		for _, name := range haproxytest.ServerNames() {
			if share[name] < n/10 {
				t.Errorf("%s: %d keys spread as %v; %s took fewer than %d", what, n, share, name, n/10)
			}
		}
	}
}

// HAProxy appends the peer to X-Forwarded-For, says the scheme in
// X-Forwarded-Proto and drops a client's X-Forwarded-Host: the replicas
// trust this HAProxy (--trusted-proxy), so it must not pass on forgeries.
func TestHAProxyForwardsOnlyWhatItSaw(t *testing.T) {
	b, reps := startBalancer(t)
	name := replicaFor(t, b, "GET", "/v2/library/alpine/manifests/latest",
		"X-Forwarded-For", "6.6.6.6", "X-Forwarded-Proto", "https", "X-Forwarded-Host", "evil.example")
	r := reps[strings.TrimPrefix(name, "replica")[0]-'1']
	r.mu.Lock()
	defer r.mu.Unlock()
	if got := strings.Join(r.last.Values("X-Forwarded-For"), ", "); got != "6.6.6.6, 127.0.0.1" {
		t.Errorf("X-Forwarded-For %q, want the client's claim and then the peer HAProxy saw", got)
	}
	if got := r.last.Get("X-Forwarded-Proto"); got != "http" {
		t.Errorf("X-Forwarded-Proto %q, want http (the client connected without TLS)", got)
	}
	if got := r.last.Values("X-Forwarded-Host"); len(got) != 0 {
		t.Errorf("X-Forwarded-Host %q reached the replica, want it dropped", got)
	}
}
