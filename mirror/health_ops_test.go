package mirror_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// brokenDisk is the real cache reporting that it cannot store, as a full
// or read-only data dir would.
type brokenDisk struct{ *cache.Store }

func (brokenDisk) Ready() error { return errors.New("data dir not writable") }

type readiness struct {
	Ready     bool   `json:"ready"`
	Draining  bool   `json:"draining"`
	Cache     string `json:"cache"`
	Upstreams map[string]struct {
		Reachable bool   `json:"reachable"`
		LastError string `json:"last_error"`
	} `json:"upstreams"`
}

func startReadyz(t *testing.T, hub *upstreamtest.Hub, wrap func(*cache.Store) mirror.Store) string {
	t.Helper()
	store, err := cache.OpenWithOptions(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	up, err := upstream.New(upstream.Options{URL: hub.URL, UserAgent: "hubmirror-test"})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mirror.New(mirror.Options{Store: wrap(store), Registries: []mirror.Registry{{Host: "docker.io", Upstream: up}}, TagTTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v2/", m.Handler())
	mux.HandleFunc("/readyz", m.Readyz)
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); store.Close() })
	return srv.URL
}

func readyz(t *testing.T, base string) (int, readiness) {
	t.Helper()
	resp, body := get(t, "GET", base+"/readyz")
	var rd readiness
	if err := json.Unmarshal(body, &rd); err != nil {
		t.Fatalf("/readyz body %q: %v", body, err)
	}
	return resp.StatusCode, rd
}

// A mirror whose upstream is down is still ready (it serves its cache),
// and says which upstream is failing; one whose cache cannot store is not.
func TestReadyzNeedsTheCacheNotTheUpstream(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	healthy := startReadyz(t, hub, func(s *cache.Store) mirror.Store { return s })
	broken := startReadyz(t, hub, func(s *cache.Store) mirror.Store { return brokenDisk{s} })

	get(t, "GET", healthy+"/v2/library/alpine/manifests/latest")
	hub.SetOffline(true)
	// A scope whose token is held, so the registry itself is asked (and fails).
	if resp, _ := get(t, "GET", healthy+"/v2/library/alpine/manifests/3.20"); resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a manifest while upstream is down: %d, want 503", resp.StatusCode)
	}
	code, rd := readyz(t, healthy)
	if code != http.StatusOK || !rd.Ready {
		t.Errorf("upstream down, cache fine: /readyz %d %+v, want 200 and ready", code, rd)
	}
	if up, ok := rd.Upstreams["docker.io"]; !ok || up.Reachable || up.LastError == "" {
		t.Errorf("/readyz reports docker.io as %+v (present %v), want unreachable with the error", up, ok)
	}

	code, rd = readyz(t, broken)
	if code != http.StatusServiceUnavailable || rd.Ready || rd.Cache != "data dir not writable" {
		t.Errorf("cache cannot store: /readyz %d %+v, want 503, not ready, with the cause", code, rd)
	}
}
