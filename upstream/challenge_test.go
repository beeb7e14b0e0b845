package upstream

import (
	"net/http"
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

func FuzzParseChallenge(f *testing.F) {
	f.Add(`Bearer realm="https://auth.docker.io/token",service="registry.docker.io"`)
	f.Add(`Basic realm="x"`)
	f.Add(`Bearer realm="\`)
	f.Add(`Bearer ,,,=,"=""`)
	f.Fuzz(func(t *testing.T, v string) {
		c, ok := parseChallenge(http.Header{"Www-Authenticate": {v}})
		if ok && c.params == nil {
			t.Fatal("parsed challenge without params map")
		}
	})
}
