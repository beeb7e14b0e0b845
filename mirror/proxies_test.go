package mirror_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// clients is the client field of every access-log line, in order.
func (s *syncBuffer) clients(t *testing.T) []string {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, line := range strings.Split(strings.TrimSpace(s.b.String()), "\n") {
		var rec struct{ Msg, Client string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec.Msg == "request" {
			out = append(out, rec.Client)
		}
	}
	return out
}

func mustTrust(t *testing.T, cidrs ...string) mirror.TrustedProxies {
	t.Helper()
	tp, err := mirror.ParseTrustedProxies(cidrs)
	if err != nil {
		t.Fatal(err)
	}
	return tp
}

// The access log names the client behind a trusted balancer by the
// right-most X-Forwarded-For hop that is not a trusted proxy, and names
// the peer itself when the peer is not trusted, whatever it claims.
func TestAccessLogClientBehindTrustedProxies(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	cases := []struct {
		name    string
		trusted []string
		xff     []string
		want    string
	}{
		{"no proxy trusted: the peer", nil, []string{"203.0.113.7"}, "127.0.0.1"},
		{"peer outside the trusted network: the peer", []string{"10.0.0.0/8"}, []string{"203.0.113.7"}, "127.0.0.1"},
		{"trusted peer: the hop it appended", []string{"127.0.0.0/8"}, []string{"203.0.113.7"}, "203.0.113.7"},
		{"a forged hop left of the real one is ignored", []string{"127.0.0.0/8"}, []string{"6.6.6.6, 203.0.113.7"}, "203.0.113.7"},
		{"two trusted proxies: the hop before both", []string{"127.0.0.1", "192.0.2.0/24"}, []string{"203.0.113.7, 192.0.2.10"}, "203.0.113.7"},
		{"repeated headers are one list", []string{"127.0.0.0/8", "192.0.2.0/24"}, []string{"203.0.113.7", "192.0.2.10"}, "203.0.113.7"},
		{"trusted peer, no header: the peer", []string{"127.0.0.0/8"}, nil, "127.0.0.1"},
		{"every hop trusted: the left-most", []string{"127.0.0.0/8", "192.0.2.0/24"}, []string{"192.0.2.9, 192.0.2.10"}, "192.0.2.9"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs syncBuffer
			base := startMirror(t, hub, setup{trusted: mustTrust(t, c.trusted...), log: slog.New(slog.NewJSONHandler(&logs, nil))})
			var hdr []string
			for _, v := range c.xff {
				hdr = append(hdr, "X-Forwarded-For", v)
			}
			get(t, "GET", base+"/v2/", hdr...)
			if got := logs.clients(t); len(got) != 1 || got[0] != c.want {
				t.Errorf("access log clients %q, want [%s]", got, c.want)
			}
		})
	}
}

func TestParseTrustedProxiesRefusesWhatIsNoNetwork(t *testing.T) {
	for _, bad := range []string{"10.0.0.0/33", "proxy.lan", "10.0.0/8"} {
		if _, err := mirror.ParseTrustedProxies([]string{bad}); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted it", bad)
		}
	}
}

// The token realm of --anonymous-pull is an absolute URL: behind a trusted
// balancer it names the balancer's scheme and host, so the client asks the
// balancer for its token; an untrusted peer's X-Forwarded-* are ignored,
// so no one can point a client's credentials at a host of their choosing.
func TestTokenRealmFollowsOnlyTrustedForwardedHeaders(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	forwarded := []string{"X-Forwarded-Proto", "https", "X-Forwarded-Host", "registry.example:8443"}
	for _, c := range []struct {
		name    string
		trusted []string
		want    func(base string) string
	}{
		{"trusted", []string{"127.0.0.0/8"}, func(string) string { return "https://registry.example:8443/v2/token" }},
		{"untrusted", []string{"10.0.0.0/8"}, func(base string) string { return base + "/v2/token" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			base := realmMirror(t, hub, mustTrust(t, c.trusted...))
			resp, _ := get(t, "GET", base+"/v2/", forwarded...)
			want := `Bearer realm="` + c.want(base) + `",service="hubmirror"`
			if got := resp.Header.Get("WWW-Authenticate"); got != want {
				t.Errorf("challenge %q, want %q", got, want)
			}
		})
	}
}

func realmMirror(t *testing.T, hub *upstreamtest.Hub, trusted mirror.TrustedProxies) string {
	t.Helper()
	store, err := cache.OpenWithOptions(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	m, err := mirror.New(mirror.Options{Store: store, Registries: []mirror.Registry{{Host: "docker.io", Upstream: client(t, hub, setup{})}},
		TagTTL: time.Hour, Users: loadHtpasswd(t, "dev", "push-pass"), AnonymousPull: true, TrustedProxies: trusted})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// Drain turns /readyz unready, saying why, while the API goes on serving:
// the balancer moves new requests away and the ones already sent succeed.
func TestDrainMakesReadyzUnreadyButKeepsServing(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	d := hub.AddBlob("library/app", []byte("layer bytes"))
	r := startMirrorUntilStopped(t, hub, setup{})
	t.Cleanup(r.stop)
	ready := httptest.NewServer(http.HandlerFunc(r.mirror.Readyz))
	t.Cleanup(ready.Close)

	if code, rd := readyz(t, ready.URL); code != http.StatusOK || rd.Draining {
		t.Fatalf("before Drain: /readyz %d draining=%v, want 200", code, rd.Draining)
	}
	r.mirror.Drain()
	if code, rd := readyz(t, ready.URL); code != http.StatusServiceUnavailable || rd.Ready || !rd.Draining || rd.Cache != "ok" {
		t.Errorf("after Drain: /readyz %d, ready %v, draining %v, cache %q; want 503, not ready, draining, cache ok", code, rd.Ready, rd.Draining, rd.Cache)
	}
	if resp, body := get(t, "GET", r.url+"/v2/library/app/blobs/"+d.String()); resp.StatusCode != http.StatusOK || string(body) != "layer bytes" {
		t.Errorf("a blob while draining: %d %q, want 200 with the layer", resp.StatusCode, body)
	}
}
