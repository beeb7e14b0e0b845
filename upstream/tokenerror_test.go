package upstream

import (
	"errors"
	"net/http"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// What each answer of the realm becomes: a refusal of the mirror's own
// account or any failure is a *TokenError; a refusal of an anonymous
// request (GHCR's answer for a private package) stays a plain 401, which
// the mirror reports as "not found".
func TestTokenFailuresAreTokenErrors(t *testing.T) {
	cases := []struct {
		what        string
		user        string
		status      int // what the realm answers (200: a body with no token)
		tokenErr    bool
		refused     bool
		unavailable bool
	}{
		{"account refused", "bot", 401, true, true, false},
		{"account forbidden", "bot", 403, true, true, false},
		{"anonymous refused", "", 401, false, false, false},
		{"realm 503", "bot", 503, true, false, true},
		{"anonymous realm 503", "", 503, true, false, true},
		{"no token in a 200", "bot", 200, true, false, false},
	}
	for _, c := range cases {
		hub := upstreamtest.New(t, upstreamtest.Options{Users: map[string]string{"bot": "pw"}})
		seedAlpine(t, hub)
		o := Options{RealmHosts: []string{"localhost"}}
		if c.user != "" {
			o.Credentials = Account{Username: c.user, Password: "pw"}
		}
		cl := hubClient(t, hub, o)
		hub.FailNext(upstreamtest.EndpointToken, 10, c.status)
		_, err := cl.Manifest(t.Context(), "library/alpine", "latest", nil)
		var te *TokenError
		if errors.As(err, &te) != c.tokenErr {
			t.Errorf("%s: %v; want a *TokenError %v", c.what, err, c.tokenErr)
			continue
		}
		if !c.tokenErr {
			if !IsNotFound(err) {
				t.Errorf("%s: %v is not a not-found", c.what, err)
			}
			continue
		}
		if te.Refused() != c.refused || te.Unavailable() != c.unavailable || IsNotFound(err) {
			t.Errorf("%s: %v: refused %v unavailable %v; want %v %v, and never not-found", c.what, err, te.Refused(), te.Unavailable(), c.refused, c.unavailable)
		}
		if c.status == http.StatusOK && !errors.Is(err, ErrMalformedToken) {
			t.Errorf("%s: %v is not ErrMalformedToken", c.what, err)
		}
		if h := cl.Health(); h.TokenError != te.Error() {
			t.Errorf("%s: Health().TokenError %q, want %q", c.what, h.TokenError, te.Error())
		}
	}
}
