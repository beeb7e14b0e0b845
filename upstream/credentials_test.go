package upstream

import (
	"errors"
	"sync"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// rotating is a Credentials source whose password a test changes, as a
// password file rewritten by a secret manager would.
type rotating struct {
	mu         sync.Mutex
	user, pass string
	err        error
}

func (r *rotating) Credentials() (string, string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.user, r.pass, r.err
}

func (r *rotating) set(pass string, err error) {
	r.mu.Lock()
	r.pass, r.err = pass, err
	r.mu.Unlock()
}

// privateHub serves bot/private:latest to the account bot:old only.
func privateHub(t *testing.T) (*upstreamtest.Hub, *rotating, *Client) {
	t.Helper()
	hub := upstreamtest.New(t, upstreamtest.Options{Users: map[string]string{"bot": "old"}})
	hub.AddImage("bot/private", "latest", upstreamtest.SmallImage(t))
	hub.SetPrivate("bot/private")
	src := &rotating{user: "bot", pass: "old"}
	// The fake's realm is on localhost, its registry on 127.0.0.1.
	return hub, src, hubClient(t, hub, Options{Credentials: src, RealmHosts: []string{"localhost"}})
}

// After a rotation the next token exchange sends the new secret: the old
// one is refused by then, so a client that kept it could not pull.
func TestTokenExchangeUsesRotatedSecret(t *testing.T) {
	hub, src, c := privateHub(t)
	if _, err := c.Manifest(t.Context(), "bot/private", "latest", nil); err != nil {
		t.Fatalf("before rotation: %v", err)
	}
	hub.SetUser("bot", "new")
	src.set("new", nil)
	hub.ExpireTokens()
	hub.Reset()
	if _, err := c.Manifest(t.Context(), "bot/private", "latest", nil); err != nil {
		t.Fatalf("after rotation: %v", err)
	}
	reqs := hub.TokenRequests()
	if len(reqs) != 1 || !reqs[0].Basic || reqs[0].Username != "bot" {
		t.Errorf("token requests after rotation: %+v, want one with bot's credentials", reqs)
	}
	// The only 401 is the registry's answer to the expired token.
	if got := hub.Counts(); got.Unauthorized != 1 || got.Tokens != 1 {
		t.Errorf("after rotation: %+v, want 1 token, 1 401", got)
	}
}

// A source that fails fails the exchange, with its error, rather than
// falling back to anonymous.
func TestCredentialsSourceErrorFailsTheExchange(t *testing.T) {
	hub, src, c := privateHub(t)
	broken := errors.New("secret store unreachable")
	src.set("", broken)
	if _, err := c.Manifest(t.Context(), "bot/private", "latest", nil); !errors.Is(err, broken) {
		t.Fatalf("manifest with a failing source: %v, want %v", err, broken)
	}
	for _, tr := range hub.TokenRequests() {
		if tr.Basic {
			t.Errorf("a token request carried credentials: %+v", tr)
		}
	}
}
