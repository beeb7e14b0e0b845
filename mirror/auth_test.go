package mirror_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Twenty pulls of one repository, each asking upstream for the tag again,
// share one token; the CDN never sees it.
func TestPullsShareOneToken(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	m := startMirror(t, hub, setup{ttl: time.Nanosecond})
	ref, err := name.ParseReference(strings.TrimPrefix(m, "http://")+"/library/alpine:latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		img, err := remote.Image(ref)
		if err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
		if err := validate.Image(img); err != nil {
			t.Fatalf("pull %d: %v", i, err)
		}
	}
	c := hub.Counts()
	if c.Tokens != 1 {
		t.Errorf("token requests = %d, want 1", c.Tokens)
	}
	if c.ManifestGets+c.ManifestHeads < 20 {
		t.Errorf("manifest requests = %d: the tag was not revalidated, so the test proves little", c.ManifestGets+c.ManifestHeads)
	}
	if c.CDNGets == 0 || c.CDNAuthorized != 0 {
		t.Errorf("CDN requests %d, of which %d carried Authorization; want >0 and 0", c.CDNGets, c.CDNAuthorized)
	}
}

// Many cold requests for one repository at once make one token request.
func TestConcurrentColdRequestsMakeOneTokenRequest(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	m := startMirror(t, hub, setup{})
	var wg sync.WaitGroup
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			blob := s.Blobs[i%len(s.Blobs)]
			resp, err := http.Get(m + "/v2/library/alpine/blobs/" + blob.String())
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != 200 {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			errs <- err
		}(i)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := hub.Counts().Tokens; got != 1 {
		t.Errorf("token requests = %d, want 1", got)
	}
}

// A registry may redirect blob downloads to a private address only when the
// operator allowed it: by default the mirror refuses, without contacting it.
func TestRedirectToPrivateAddressNeedsTheSwitch(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{CDNHost: "127.0.0.2"})
	s := hub.MustSeedStandard(t)["library/alpine"]
	layer := s.Blobs[len(s.Blobs)-1]
	path := "/v2/library/alpine/blobs/" + layer.String()

	safe := startMirror(t, hub, setup{})
	resp, body := get(t, "GET", safe+path)
	if resp.StatusCode != http.StatusBadGateway {
		t.Fatalf("default policy: status %d, want 502; %s", resp.StatusCode, body)
	}
	assertErrorCode(t, resp, body, "UNKNOWN")
	if got := hub.Counts().CDNGets; got != 0 {
		t.Errorf("the refused CDN was contacted %d times", got)
	}

	lan := startMirror(t, hub, setup{allowPrivate: true})
	resp, body = get(t, "GET", lan+path)
	if resp.StatusCode != 200 || blobtest.Digest(body).String() != layer.String() {
		t.Fatalf("with the switch: %d, %s", resp.StatusCode, blobtest.Digest(body).String())
	}
	if got := hub.Counts().CDNAuthorized; got != 0 {
		t.Errorf("CDN saw Authorization %d times", got)
	}
}

// Upstream credentials open private repositories, and go to the token
// realm only.
func TestPrivateRepositoryNeedsUpstreamCredentials(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{Users: map[string]string{"ci": "s3cret"}})
	s := hub.MustSeedStandard(t)["someuser/app"]
	hub.SetPrivate("someuser/app")
	path := "/v2/someuser/app/manifests/v1"

	anon := startMirror(t, hub, setup{})
	resp, body := get(t, "GET", anon+path, "Accept", dockerManifest)
	if resp.StatusCode != 404 {
		t.Fatalf("anonymous: %d, want 404", resp.StatusCode)
	}
	assertErrorCode(t, resp, body, "NAME_UNKNOWN")

	// The fake's realm (localhost) is not on the registry's domain (an IP), so
	// the operator must name it before credentials may go there.
	refused := startMirror(t, hub, setup{user: "ci", pass: "s3cret"})
	if resp, _ := get(t, "GET", refused+path, "Accept", dockerManifest); resp.StatusCode != http.StatusBadGateway {
		t.Errorf("credentials for a foreign realm: status %d, want 502", resp.StatusCode)
	}
	for _, tr := range hub.TokenRequests() {
		if tr.Basic {
			t.Fatal("credentials were sent to a realm off the registry's domain")
		}
	}

	authed := startMirror(t, hub, setup{user: "ci", pass: "s3cret", realmHosts: []string{"localhost"}})
	resp, body = get(t, "GET", authed+path, "Accept", dockerManifest)
	if resp.StatusCode != 200 || blobtest.Digest(body).String() != s.Digest.String() {
		t.Fatalf("with credentials: %d %s", resp.StatusCode, body)
	}
	layer := s.Blobs[len(s.Blobs)-1]
	if resp, body := get(t, "GET", authed+"/v2/someuser/app/blobs/"+layer.String()); resp.StatusCode != 200 || blobtest.Digest(body).String() != layer.String() {
		t.Fatalf("private blob: %d", resp.StatusCode)
	}
	sawCreds := false
	for _, tr := range hub.TokenRequests() {
		sawCreds = sawCreds || (tr.Basic && tr.Username == "ci")
	}
	if !sawCreds {
		t.Error("the token realm never received the credentials")
	}
	if got := hub.Counts().CDNAuthorized; got != 0 {
		t.Errorf("CDN saw Authorization %d times", got)
	}
}

// A refused client login is answered inside the handler chain, so an
// operator sees it like any other answer: one access-log line, and a
// request counted under its route with code 401.
func TestRefusedLoginIsLoggedAndCounted(t *testing.T) {
	met := metrics.Discard()
	var log bytes.Buffer
	srv := httptest.NewServer(guardedMirror(t, loadHtpasswd(t, "ci", "pull-pass"), met, &log).Handler())
	path := "/v2/library/alpine/manifests/latest"
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.SetBasicAuth("ci", "guess")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	srv.Close() // waits for the handler, and so for its log line and counts
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d, want 401", resp.StatusCode)
	}

	var lines []map[string]any
	for _, raw := range strings.Split(log.String(), "\n") {
		if raw == "" {
			continue
		}
		var rec map[string]any
		if err := json.Unmarshal([]byte(raw), &rec); err != nil {
			t.Fatalf("log line %q: %v", raw, err)
		}
		if rec["msg"] == "request" {
			lines = append(lines, rec)
		}
	}
	if len(lines) != 1 {
		t.Fatalf("%d access lines for one refused request:\n%s", len(lines), log.String())
	}
	want := map[string]any{"method": "GET", "path": path, "route": "manifest", "status": 401.0}
	for key, v := range want {
		if lines[0][key] != v {
			t.Errorf("access line %s=%v, want %v (%v)", key, lines[0][key], v, lines[0])
		}
	}
	if got := testutil.ToFloat64(met.HTTPRequests.WithLabelValues("manifest", "GET", "401")); got != 1 {
		t.Errorf(`http_requests_total{route="manifest",method="GET",code="401"} = %v, want 1`, got)
	}
}

// guardedMirror is a mirror that asks clients to log in as users. It has
// no store: nothing a test sends it gets past the login or needs one.
func guardedMirror(t *testing.T, users *mirror.Htpasswd, met *metrics.Metrics, log io.Writer) *mirror.Mirror {
	t.Helper()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	m, err := mirror.New(mirror.Options{
		Registries: []mirror.Registry{{Host: "docker.io", Upstream: client(t, hub, setup{})}},
		Users:      users,
		Metrics:    met,
		Log:        slog.New(slog.NewJSONHandler(log, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}
