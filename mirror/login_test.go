package mirror_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// openMirror serves a mirror of hub that users log in to, reads open to
// anyone when anonymousPull; now tells its time.
func openMirror(t *testing.T, hub *upstreamtest.Hub, anonymousPull bool, now func() time.Time) string {
	t.Helper()
	return loginMirror(t, hub, mirror.Options{AnonymousPull: anonymousPull, Now: now})
}

// loginMirror serves a mirror of hub with o's login settings, that dev
// logs in to with push-pass and pushes team/* to.
func loginMirror(t *testing.T, hub *upstreamtest.Hub, o mirror.Options) string {
	t.Helper()
	store, err := cache.OpenWithOptions(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	o.Store = store
	o.Registries = []mirror.Registry{{Host: "docker.io", Upstream: client(t, hub, setup{})}}
	o.TagTTL = time.Hour
	o.Users = loadHtpasswd(t, "dev", "push-pass")
	o.Hosted = []string{"team/*"}
	m, err := mirror.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

func do(t *testing.T, method, url string, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func basic(user, pass string) http.Header {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(user, pass)
	return r.Header
}

func bearer(token string) http.Header {
	return http.Header{"Authorization": {"Bearer " + token}}
}

// fetchToken asks the realm of the /v2/ challenge, as docker, crane and
// skopeo do after their ping.
func fetchToken(t *testing.T, base string, header http.Header) string {
	t.Helper()
	ch := do(t, "GET", base+"/v2/", nil).Header.Get("WWW-Authenticate")
	want := `Bearer realm="` + base + `/v2/token",service="hubmirror"`
	if ch != want {
		t.Fatalf("/v2/ challenge %q, want %q", ch, want)
	}
	req, _ := http.NewRequest("GET", base+"/v2/token?service=hubmirror&scope=repository:team/app:push,pull", nil)
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
	}
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&body) != nil || body.Token == "" || body.AccessToken != body.Token {
		t.Fatalf("token realm: %d %+v", resp.StatusCode, body)
	}
	return body.Token
}

// With --anonymous-pull reads need no login (whatever credentials come
// along: dockerd sends a registry-mirrors mirror the user's Docker Hub
// ones), every write needs one, and /v2/ keeps challenging so that
// docker login sends its credentials.
func TestAnonymousPullOpensOnlyReads(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	base := openMirror(t, hub, true, nil)
	manifest := base + "/v2/library/alpine/manifests/latest"
	upload := base + "/v2/team/app/blobs/uploads/"
	userToken := fetchToken(t, base, basic("dev", "push-pass"))
	anonToken := fetchToken(t, base, nil)
	wrongToken := fetchToken(t, base, basic("dev", "guess"))

	for _, tc := range []struct {
		what, method, url string
		header            http.Header
		status            int    // 0: anything but 401
		challenge         string // prefix, when 401
	}{
		{"anonymous manifest GET", "GET", manifest, nil, 200, ""},
		{"anonymous manifest HEAD", "HEAD", manifest, nil, 200, ""},
		{"manifest GET with a wrong password", "GET", manifest, basic("dev", "guess"), 200, ""},
		{"manifest GET with the anonymous token", "GET", manifest, bearer(anonToken), 200, ""},
		{"anonymous tags list", "GET", base + "/v2/library/alpine/tags/list", nil, 200, ""},
		{"anonymous /v2/", "GET", base + "/v2/", nil, 401, "Bearer realm="},
		{"/v2/ with a wrong password", "GET", base + "/v2/", basic("dev", "guess"), 401, "Bearer realm="},
		{"/v2/ with the anonymous token", "GET", base + "/v2/", bearer(anonToken), 401, "Bearer realm="},
		{"/v2/ with the token of a wrong password", "GET", base + "/v2/", bearer(wrongToken), 401, "Bearer realm="},
		{"/v2/ with a forged token", "GET", base + "/v2/", bearer(userToken + "x"), 401, "Bearer realm="},
		{"/v2/ logged in (Basic)", "GET", base + "/v2/", basic("dev", "push-pass"), 200, ""},
		{"/v2/ logged in (token)", "GET", base + "/v2/", bearer(userToken), 200, ""},
		{"token realm POST (OAuth, never offered)", "POST", base + "/v2/token", nil, 405, ""},
		{"anonymous upload", "POST", upload, nil, 401, `Basic realm="hubmirror"`},
		{"anonymous upload status", "GET", upload + "some-session", nil, 401, `Basic realm="hubmirror"`},
		{"anonymous manifest PUT", "PUT", base + "/v2/team/app/manifests/1.4", nil, 401, `Basic realm="hubmirror"`},
		{"anonymous manifest DELETE", "DELETE", manifest, nil, 401, `Basic realm="hubmirror"`},
		{"upload with a wrong password", "POST", upload, basic("dev", "guess"), 401, `Basic realm="hubmirror"`},
		{"upload with the anonymous token", "POST", upload, bearer(anonToken), 401, `Bearer realm="`},
		{"upload logged in (Basic)", "POST", upload, basic("dev", "push-pass"), 202, ""},
		{"upload logged in (token)", "POST", upload, bearer(userToken), 202, ""},
		{"anonymous hosted tags list", "GET", base + "/v2/team/app/tags/list", nil, 404, ""},
	} {
		resp := do(t, tc.method, tc.url, tc.header)
		ch := resp.Header.Get("WWW-Authenticate")
		switch {
		case tc.status == 0 && resp.StatusCode == 401:
			t.Errorf("%s: 401 (%s), want past the login", tc.what, ch)
		case tc.status != 0 && resp.StatusCode != tc.status:
			t.Errorf("%s: %d, want %d", tc.what, resp.StatusCode, tc.status)
		case tc.status == 401 && !strings.HasPrefix(ch, tc.challenge):
			t.Errorf("%s: challenge %q, want %s…", tc.what, ch, tc.challenge)
		}
	}
}

// A token names its user only until it expires; then writes are refused
// again and the client asks the realm for a new one.
func TestLoginTokenExpires(t *testing.T) {
	clk := newClock()
	base := openMirror(t, upstreamtest.New(t, upstreamtest.Options{}), true, clk.Now)
	token := fetchToken(t, base, basic("dev", "push-pass"))
	if got := do(t, "GET", base+"/v2/", bearer(token)).StatusCode; got != 200 {
		t.Fatalf("/v2/ with a fresh token: %d, want 200", got)
	}
	clk.advance(time.Hour)
	if got := do(t, "GET", base+"/v2/", bearer(token)).StatusCode; got != 401 {
		t.Errorf("/v2/ with a token an hour old: %d, want 401", got)
	}
}

// --htpasswd alone keeps its meaning: the Basic challenge everywhere, no
// token realm, no anonymous read.
func TestHtpasswdAloneGuardsReads(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	base := openMirror(t, hub, false, nil)
	for _, path := range []string{"/v2/", "/v2/library/alpine/manifests/latest", "/v2/token"} {
		resp := do(t, "GET", base+path, nil)
		if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Basic realm="hubmirror"` {
			t.Errorf("anonymous GET %s: %d %q, want 401 with the Basic challenge", path, resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
		}
	}
	if c := hub.Counts(); c.ManifestGets+c.ManifestHeads != 0 {
		t.Errorf("refused reads reached upstream: %+v", c)
	}
}

// go-containerregistry, crane's library, pushes through the Bearer
// challenge with a login, and is refused without one.
func TestPushWithGGCRNeedsLogin(t *testing.T) {
	base := openMirror(t, upstreamtest.New(t, upstreamtest.Options{}), true, nil)
	ref, err := name.ParseReference(strings.TrimPrefix(base, "http://")+"/team/app:1.4", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(1024, 1)
	if err != nil {
		t.Fatal(err)
	}
	var terr *transport.Error
	if err := remote.Write(ref, img); !errors.As(err, &terr) || terr.StatusCode != http.StatusUnauthorized {
		t.Fatalf("anonymous push: %v, want 401", err)
	}
	if err := remote.Write(ref, img, remote.WithAuth(&authn.Basic{Username: "dev", Password: "push-pass"})); err != nil {
		t.Fatalf("push logged in: %v", err)
	}
	want, _ := img.Digest()
	desc, err := remote.Get(ref) // anonymously
	if err != nil {
		t.Fatalf("anonymous pull of the pushed image: %v", err)
	}
	if desc.Digest != want {
		t.Errorf("anonymous pull got %s, want the pushed %s", desc.Digest, want)
	}
}

// go-containerregistry, crane's library, pings /v2/, follows the Bearer
// challenge to the realm anonymously and pulls; the same holds for docker
// and skopeo (e2e/auth_test.go drives the real ones).
func TestAnonymousPullWithGGCR(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := hub.MustSeedStandard(t)["library/alpine"]
	base := openMirror(t, hub, true, nil)
	ref, err := name.ParseReference(strings.TrimPrefix(base, "http://")+"/library/alpine:latest", name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	for _, auth := range []authn.Authenticator{authn.Anonymous, &authn.Basic{Username: "dev", Password: "guess"}} {
		desc, err := remote.Get(ref, remote.WithAuth(auth))
		if err != nil {
			t.Fatalf("pull as %v: %v", auth, err)
		}
		if desc.Digest.String() != alpine.Digest.String() {
			t.Errorf("pulled %s, want %s", desc.Digest, alpine.Digest)
		}
	}
}
