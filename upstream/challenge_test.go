package upstream

import (
	"net/http"
	"strings"
	"testing"
)

func TestParseChallenge(t *testing.T) {
	cases := []struct {
		header string
		scheme string
		params map[string]string
	}{
		{`Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`, "bearer",
			map[string]string{"realm": "https://auth.docker.io/token", "service": "registry.docker.io"}},
		{`Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull",error="insufficient_scope"`, "bearer",
			map[string]string{"scope": "repository:library/alpine:pull", "error": "insufficient_scope"}},
		{`Basic realm="Registry Realm"`, "basic", map[string]string{"realm": "Registry Realm"}},
		{`bearer realm=https://ghcr.io/token, service=ghcr.io`, "bearer",
			map[string]string{"realm": "https://ghcr.io/token", "service": "ghcr.io"}},
		{`Bearer realm="https://x/token",scope="repository:a:pull,push",service="s"`, "bearer",
			map[string]string{"scope": "repository:a:pull,push", "service": "s"}},
		{`Bearer realm="say \"hi\""`, "bearer", map[string]string{"realm": `say "hi"`}},
	}
	for _, tc := range cases {
		h := http.Header{"Www-Authenticate": {tc.header}}
		c, ok := parseChallenge(h)
		if !ok || c.scheme != tc.scheme {
			t.Errorf("%s: scheme %q ok=%v, want %q", tc.header, c.scheme, ok, tc.scheme)
			continue
		}
		for k, want := range tc.params {
			if got := c.params[k]; got != want {
				t.Errorf("%s: %s = %q, want %q", tc.header, k, got, want)
			}
		}
	}
	if _, ok := parseChallenge(http.Header{}); ok {
		t.Error("no header must not parse as a challenge")
	}
}

// FuzzParseChallenge checks that any realm and service, quoted the way a
// registry quotes them, come back exactly, and that no header panics.
func FuzzParseChallenge(f *testing.F) {
	f.Add("https://auth.docker.io/token", "registry.docker.io", `Bearer realm="x"`)
	f.Add(`a"b\c,d`, "s p", `Basic realm="x"`)
	f.Add("", "", `Bearer ,,,=,"=""`)
	f.Fuzz(func(t *testing.T, realm, service, raw string) {
		parseChallenge(http.Header{"Www-Authenticate": {raw}})
		if strings.ContainsAny(realm+service, "\r\n\x00") {
			return // not representable in one header line
		}
		h := http.Header{"Www-Authenticate": {`Bearer realm=` + quote(realm) + `,service=` + quote(service)}}
		c, ok := parseChallenge(h)
		if !ok || c.scheme != "bearer" || c.params["realm"] != realm || c.params["service"] != service {
			t.Fatalf("realm %q service %q parsed as %+v", realm, service, c)
		}
	})
}

func quote(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(s) + `"`
}
