package upstreamtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAuthDance(t *testing.T) {
	h, _ := seeded(t, Options{})
	r := do(t, http.MethodGet, h.URL+"/v2/", nil)
	wantChallenge := fmt.Sprintf(`Bearer realm="%s",service="registry.docker.io"`, h.Realm)
	if r.status != 401 || r.header.Get("WWW-Authenticate") != wantChallenge {
		t.Fatalf("ping: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	if want := `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required","detail":null}]}`; string(r.body) != want {
		t.Errorf("body %s", r.body)
	}
	if r.header.Get("Docker-Distribution-API-Version") != "registry/2.0" {
		t.Error("missing API version header")
	}
	if !strings.HasPrefix(h.Realm, "http://localhost:") {
		t.Errorf("realm %s should name localhost", h.Realm)
	}
	tok := token(t, h, "library/alpine", "", "")
	if r := do(t, http.MethodGet, h.URL+"/v2/", bearer(tok)); r.status != 200 {
		t.Fatalf("ping with token: %d", r.status)
	}
	if r := do(t, http.MethodGet, h.URL+"/v2/library/alpine/manifests/latest", bearer(tok)); r.status != 200 {
		t.Fatalf("manifest with token: %d", r.status)
	}
	c := h.Counts()
	if c.Pings != 2 || c.Tokens != 1 || c.ManifestGets != 1 || c.Unauthorized != 1 {
		t.Errorf("counts %+v", c)
	}
}

func TestTokenResponse(t *testing.T) {
	h := New(t, Options{TokenTTL: 90 * time.Second})
	r := do(t, http.MethodGet, h.Realm+"?service=registry.docker.io&scope=repository:a/b:pull&scope=repository:c/d:pull", nil)
	var tr tokenResponse
	if err := json.Unmarshal(r.body, &tr); err != nil || r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if tr.Token == "" || tr.Token != tr.AccessToken || tr.ExpiresIn != 90 {
		t.Errorf("token response %+v", tr)
	}
	if _, err := time.Parse(time.RFC3339, tr.IssuedAt); err != nil {
		t.Error(err)
	}
	reqs := h.TokenRequests()
	if len(reqs) != 1 || len(reqs[0].Scopes) != 2 || reqs[0].Basic || reqs[0].Service != "registry.docker.io" {
		t.Errorf("recorded %+v", reqs)
	}
	if r := do(t, http.MethodGet, h.Realm+"?service=other", nil); r.status != 400 {
		t.Errorf("wrong service: %d", r.status)
	}
}

func TestExpiredToken(t *testing.T) {
	h, _ := seeded(t, Options{TokenTTL: 300 * time.Millisecond})
	tok := token(t, h, "library/alpine", "", "")
	u := h.URL + "/v2/library/alpine/manifests/latest"
	if r := do(t, http.MethodGet, u, bearer(tok)); r.status != 200 {
		t.Fatalf("fresh token: %d", r.status)
	}
	time.Sleep(350 * time.Millisecond) // the expiry itself is under test
	r := do(t, http.MethodGet, u, bearer(tok))
	if r.status != 401 || !strings.HasSuffix(r.header.Get("WWW-Authenticate"), `scope="repository:library/alpine:pull",error="invalid_token"`) {
		t.Fatalf("expired: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
}

func TestMissingRepoLooksUnauthorized(t *testing.T) {
	h, _ := seeded(t, Options{})
	tok := token(t, h, "library/nope", "", "") // granted nothing, still 200
	u := h.URL + "/v2/library/nope/manifests/latest"
	r := do(t, http.MethodGet, u, bearer(tok))
	want := fmt.Sprintf(`Bearer realm="%s",service="registry.docker.io",scope="repository:library/nope:pull",error="insufficient_scope"`, h.Realm)
	if r.status != 401 || r.header.Get("WWW-Authenticate") != want || errorCode(t, r.body) != "UNAUTHORIZED" {
		t.Fatalf("missing repo: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	r = do(t, http.MethodGet, u, nil)
	if r.status != 401 || strings.Contains(r.header.Get("WWW-Authenticate"), "error=") {
		t.Errorf("no token: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
}

func TestPrivateRepoNeedsCredentials(t *testing.T) {
	h := New(t, Options{Users: map[string]string{"alice": "s3cret"}})
	img, err := Image(1, 1024, false)
	if err != nil {
		t.Fatal(err)
	}
	h.AddImage("alice/private", "v1", img)
	h.SetPrivate("alice/private")
	u := h.URL + "/v2/alice/private/manifests/v1"

	if r := do(t, http.MethodGet, u, bearer(token(t, h, "alice/private", "", ""))); r.status != 401 {
		t.Errorf("anonymous: %d", r.status)
	}
	bad := do(t, http.MethodGet, h.Realm+"?service=registry.docker.io", http.Header{"Authorization": {"Basic YWxpY2U6d3Jvbmc="}})
	if bad.status != 401 {
		t.Errorf("wrong password: %d", bad.status)
	}
	if r := do(t, http.MethodGet, u, bearer(token(t, h, "alice/private", "alice", "s3cret"))); r.status != 200 {
		t.Errorf("with credentials: %d", r.status)
	}
	reqs := h.TokenRequests()
	if last := reqs[len(reqs)-1]; !last.Basic || last.Username != "alice" {
		t.Errorf("recorded %+v", last)
	}
}
