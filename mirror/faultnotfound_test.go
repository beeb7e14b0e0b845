package mirror_test

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// tokenFixture is a mirror whose upstream account lives in a password
// file, with its log, metrics and /readyz, in front of a Hub that knows the
// account "bot".
type tokenFixture struct {
	hub      *upstreamtest.Hub
	url      string
	passFile string
	log      *syncBuffer
	metrics  *metrics.Metrics
}

func startTokenFixture(t *testing.T, password string) tokenFixture {
	t.Helper()
	f := tokenFixture{hub: upstreamtest.New(t, upstreamtest.Options{Users: map[string]string{"bot": "right"}}),
		passFile: filepath.Join(t.TempDir(), "password"), log: &syncBuffer{}, metrics: metrics.New(prometheus.NewRegistry())}
	f.hub.MustSeedStandard(t)
	f.hub.SetPrivateTo("someuser/app", "someuser")
	if err := os.WriteFile(f.passFile, []byte(password), 0o600); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(f.log, nil))
	creds, err := upstream.PasswordFile("bot", f.passFile, log)
	if err != nil {
		t.Fatal(err)
	}
	up, err := upstream.New(upstream.Options{URL: f.hub.URL, Credentials: creds, RealmHosts: []string{"localhost"},
		UserAgent: "hubmirror-test", Observer: f.metrics.Upstream("docker.io"), Log: log})
	if err != nil {
		t.Fatal(err)
	}
	store, err := cache.OpenWithOptions(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mirror.New(mirror.Options{Store: store, Registries: []mirror.Registry{{Host: "docker.io", Upstream: up}},
		TagTTL: time.Hour, Metrics: f.metrics, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v2/", m.Handler())
	mux.HandleFunc("/readyz", m.Readyz)
	mux.Handle("/status", m.StatusPage())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); store.Close() })
	f.url = srv.URL
	return f
}

func (f tokenFixture) tokenError(t *testing.T) string {
	t.Helper()
	_, body := get(t, "GET", f.url+"/readyz")
	var rd struct {
		Upstreams map[string]struct {
			TokenError string `json:"token_error"`
		} `json:"upstreams"`
	}
	if err := json.Unmarshal(body, &rd); err != nil {
		t.Fatalf("/readyz %q: %v", body, err)
	}
	return rd.Upstreams["docker.io"].TokenError
}

func (f tokenFixture) failures(reason string) float64 {
	return testutil.ToFloat64(f.metrics.UpstreamTokenFailures.WithLabelValues("docker.io", reason))
}

func oneErrorMessage(t *testing.T, body []byte) (code, message string) {
	t.Helper()
	var e struct {
		Errors []struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) != 1 {
		t.Fatalf("error body %q: %v", body, err)
	}
	return e.Errors[0].Code, e.Errors[0].Message
}

// A rotated-away password is an upstream failure, not a missing image:
// the first uncached pull gets 502 naming the account and the realm, the
// next ones 503 with Retry-After without the bad password being offered
// again, the refusal is logged once, counted and shown in /readyz; and
// the rotated secret works at once, without a restart.
func TestRefusedCredentialsAreNotNotFound(t *testing.T) {
	f := startTokenFixture(t, "expired")
	path := "/v2/library/alpine/manifests/latest"
	resp, body := get(t, "GET", f.url+path, "Accept", dockerManifest)
	code, msg := oneErrorMessage(t, body)
	if resp.StatusCode != http.StatusBadGateway || code != "UNKNOWN" || !strings.Contains(msg, `refused the mirror's credentials for user "bot" at `+f.hub.Realm+": 401") {
		t.Fatalf("refused credentials: %d %s %q; want 502 naming the user and realm", resp.StatusCode, code, msg)
	}
	tokens := f.hub.Counts().Tokens
	for range 3 {
		resp, body = get(t, "GET", f.url+"/v2/library/busybox/manifests/latest", "Accept", dockerManifest)
		if code, msg := oneErrorMessage(t, body); resp.StatusCode != http.StatusServiceUnavailable || code != "UNAVAILABLE" ||
			resp.Header.Get("Retry-After") == "" || !strings.Contains(msg, `user "bot"`) {
			t.Fatalf("while held back: %d %s %q Retry-After %q; want 503 with Retry-After", resp.StatusCode, code, msg, resp.Header.Get("Retry-After"))
		}
	}
	if got := f.hub.Counts().Tokens; got != tokens {
		t.Errorf("the refused password was offered %d more times, want 0", got-tokens)
	}
	if n := strings.Count(f.log.String(), "gives the mirror no token"); n != 1 {
		t.Errorf("the refusal was logged %d times in 4 requests, want once:\n%s", n, f.log)
	}
	if got := f.failures(metrics.TokenRefused); got != 1 {
		t.Errorf("upstream_token_failures_total{reason=refused} = %v, want 1", got)
	}
	if te := f.tokenError(t); !strings.Contains(te, `user "bot"`) {
		t.Errorf("/readyz token_error %q, want the refusal", te)
	}

	if err := os.WriteFile(f.passFile, []byte("right"), 0o600); err != nil {
		t.Fatal(err)
	}
	if resp, body := get(t, "GET", f.url+path, "Accept", dockerManifest); resp.StatusCode != http.StatusOK {
		t.Fatalf("after the rotation: %d %s", resp.StatusCode, body)
	}
	if te := f.tokenError(t); te != "" {
		t.Errorf("/readyz still reports %q after a token was issued", te)
	}
	if !strings.Contains(f.log.String(), "issues tokens again") {
		t.Errorf("the recovery was not logged:\n%s", f.log)
	}
}

// With working credentials, what Hub hides stays "not found": a
// repository that is missing, or private to another account, gets a token
// granting nothing and a registry 401 insufficient_scope; that is 404
// NAME_UNKNOWN, and the token service is not reported as failing.
func TestHubsHiddenRepositoriesStayNotFound(t *testing.T) {
	f := startTokenFixture(t, "right")
	for _, repo := range []string{"nobody/nothing", "someuser/app"} {
		resp, body := get(t, "GET", f.url+"/v2/"+repo+"/manifests/v1", "Accept", dockerManifest)
		if code, _ := oneErrorMessage(t, body); resp.StatusCode != http.StatusNotFound || code != "NAME_UNKNOWN" {
			t.Errorf("%s: %d %s, want 404 NAME_UNKNOWN", repo, resp.StatusCode, code)
		}
	}
	if te := f.tokenError(t); te != "" {
		t.Errorf("/readyz token_error %q for repositories that are merely hidden", te)
	}
	for _, reason := range metrics.TokenFailureReasons {
		if got := f.failures(reason); got != 0 {
			t.Errorf("upstream_token_failures_total{reason=%s} = %v, want 0", reason, got)
		}
	}
}

// A token service that fails (here 503 through every retry) is an outage
// of the token service, named as such: 503, counted, in /readyz.
func TestFailingTokenServiceIsNamed(t *testing.T) {
	f := startTokenFixture(t, "right")
	f.hub.FailNext(upstreamtest.EndpointToken, 10, http.StatusServiceUnavailable)
	resp, body := get(t, "GET", f.url+"/v2/library/alpine/manifests/latest", "Accept", dockerManifest)
	if code, msg := oneErrorMessage(t, body); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(msg, "token service "+f.hub.Realm+` is failing for user "bot": 503`) {
		t.Errorf("token service 503: %d %s %q", resp.StatusCode, code, msg)
	}
	if got := f.failures(metrics.TokenFailing); got != 1 {
		t.Errorf("upstream_token_failures_total{reason=failing} = %v, want 1", got)
	}
	if te := f.tokenError(t); !strings.Contains(te, "is failing") {
		t.Errorf("/readyz token_error %q", te)
	}
}

// A registry that rejects, as invalid_token, the token its own realm has
// just issued is broken, not missing the image: 502, not 404.
func TestRejectedFreshTokenIsNotNotFound(t *testing.T) {
	other := upstreamtest.New(t, upstreamtest.Options{})
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	hub.Realm = other.Realm // tokens this registry never issued
	m := startMirror(t, hub, setup{})
	resp, body := get(t, "GET", m+"/v2/library/alpine/manifests/latest", "Accept", dockerManifest)
	if code, msg := oneErrorMessage(t, body); resp.StatusCode != http.StatusBadGateway || !strings.Contains(msg, "invalid_token") {
		t.Errorf("fresh token rejected: %d %s %q, want 502", resp.StatusCode, code, msg)
	}
}

// The registry redirects a blob to its CDN, which then refuses (a signed
// URL expired, storage out of step): the registry said the blob exists,
// so the client gets 502 naming the storage host, not 404 BLOB_UNKNOWN.
func TestStorageRefusalIsNotNotFound(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/alpine", 4096)
	m := startMirror(t, hub, setup{})
	hub.FailNext(upstreamtest.EndpointCDN, 20, http.StatusForbidden)
	resp, body := get(t, "GET", m+"/v2/library/alpine/blobs/"+d.String())
	if code, msg := oneErrorMessage(t, body); resp.StatusCode != http.StatusBadGateway || !strings.Contains(msg, "blob storage") {
		t.Errorf("CDN 403 after the registry's redirect: %d %s %q, want 502 naming the storage", resp.StatusCode, code, msg)
	}
}

// The status page shows the refusal too, where an operator looks first.
func TestStatusPageShowsTokenRefusal(t *testing.T) {
	f := startTokenFixture(t, "expired")
	get(t, "GET", f.url+"/v2/library/alpine/manifests/latest", "Accept", dockerManifest)
	resp, body := get(t, "GET", f.url+"/status")
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "no token: upstream") || !strings.Contains(string(body), "refused the mirror&#39;s credentials") {
		t.Fatalf("/status: %d, no token refusal shown:\n%s", resp.StatusCode, body)
	}
}
