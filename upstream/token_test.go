package upstream

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// A token is fetched once per scope and then reused: a pull of an image
// makes dozens of requests, and each extra exchange is a round trip to the
// realm.
func TestTokenReusedWithinItsScope(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := seedAlpine(t, hub)
	c := hubClient(t, hub, Options{})
	for range 3 {
		fetchManifest(t, c, "library/alpine", alpine)
	}
	if _, err := c.HeadManifest(t.Context(), "library/alpine", "latest", nil); err != nil {
		t.Fatal(err)
	}
	got := hub.Counts()
	if got.Pings != 1 || got.Tokens != 1 || got.Unauthorized != 1 || got.ManifestGets != 3 || got.ManifestHeads != 1 {
		t.Errorf("four requests of one scope: %+v; want 1 ping (the only 401), 1 token, 3 GETs, 1 HEAD", got)
	}
	if reqs := hub.TokenRequests(); len(reqs) != 1 || !slices.Equal(reqs[0].Scopes, []string{"repository:library/alpine:pull"}) {
		t.Errorf("token requests %+v, want one for library/alpine's pull scope", reqs)
	}

	other := hub.AddImage("library/other", "latest", upstreamtest.SmallImage(t))
	fetchManifest(t, c, "library/other", other)
	if got := hub.Counts(); got.Tokens != 2 || got.Pings != 1 {
		t.Errorf("a second repository needs its own token and no second ping: %+v", got)
	}
}

// A token the registry no longer accepts (expired early, revoked) is
// renewed with exactly one token request, and the request still succeeds.
func TestRejectedTokenRenewedOnce(t *testing.T) {
	hub, c, alpine := clientWithExpiredToken(t, Options{})
	fetchManifest(t, c, "library/alpine", alpine)
	if got := hub.Counts(); got.Tokens != 1 || got.Unauthorized != 1 || got.ManifestGets != 2 || got.Pings != 0 {
		t.Errorf("renewing a rejected token: %+v; want 1 token, 1 401, 2 GETs, no ping", got)
	}
	hub.Reset()
	fetchManifest(t, c, "library/alpine", alpine)
	if got := hub.Counts(); got.Tokens != 0 || got.Unauthorized != 0 {
		t.Errorf("the renewed token must be reused: %+v", got)
	}
}

// A token the client knows to be past its lifetime is renewed before it is
// sent, so the registry never sees it: one token request, no 401.
func TestExpiredTokenRenewedBeforeUse(t *testing.T) {
	hub, c, alpine := clientWithExpiredToken(t, Options{})
	pastRenewal(c)
	fetchManifest(t, c, "library/alpine", alpine)
	if got := hub.Counts(); got.Tokens != 1 || got.Unauthorized != 0 || got.ManifestGets != 1 {
		t.Errorf("renewing an expired token: %+v; want 1 token, no 401, 1 GET", got)
	}
}

// pastRenewal moves every cached token past its renewal time, as the clock
// would after 90% of its lifetime.
func pastRenewal(c *Client) {
	c.tokens.mu.Lock()
	defer c.tokens.mu.Unlock()
	for scope, tok := range c.tokens.byScope {
		tok.renewAt = time.Now().Add(-time.Second)
		c.tokens.byScope[scope] = tok
	}
}

// The lifetime the realm grants is what the client plans by: renewal is
// due at 90% of expires_in, or of the spec's 60s default when it is absent.
func TestTokenLifetimeFromExpiresIn(t *testing.T) {
	for _, tc := range []struct {
		body string
		life time.Duration
	}{
		{`{"token":"a","expires_in":300}`, 300 * time.Second},
		{`{"access_token":"a","expires_in":10}`, 10 * time.Second},
		{`{"token":"a"}`, 60 * time.Second},
	} {
		before := time.Now()
		tok, err := decodeToken(strings.NewReader(tc.body))
		after := time.Now()
		due := tc.life * 9 / 10
		if err != nil || tok.value != "a" || tok.renewAt.Before(before.Add(due)) || tok.renewAt.After(after.Add(due)) {
			t.Errorf("%s: %+v, %v; want renewal %v after issue", tc.body, tok, err, due)
		}
	}
}

// A failing token service is retried like any other upstream request.
func TestTokenRequestRetried(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := seedAlpine(t, hub)
	obs := newObserved()
	c := hubClient(t, hub, Options{Observer: obs})
	hub.FailNext(upstreamtest.EndpointToken, 1, http.StatusServiceUnavailable)
	fetchManifest(t, c, "library/alpine", alpine)
	if got := hub.Counts(); got.Tokens != 2 || len(hub.TokenRequests()) != 1 {
		t.Errorf("token service 503 once: %d token requests (%d issued); want 2 (1)", got.Tokens, len(hub.TokenRequests()))
	}
	if obs.tokenCount() != 2 || obs.count("token", 503) != 1 || obs.count("token", 200) != 1 {
		t.Errorf("observer saw %d token attempts, %d 503s, %d 200s; want 2, 1, 1",
			obs.tokenCount(), obs.count("token", 503), obs.count("token", 200))
	}
}

// Many requests that all find their token rejected make one token request
// between them. The realm's answer is held until every one has been
// rejected, so they really are refreshing at the same time.
func TestConcurrentRefreshesMakeOneTokenRequest(t *testing.T) {
	const n = 8
	obs := newObserved()
	hub, c, alpine := clientWithExpiredToken(t, Options{Observer: obs})
	holdTokenFetch(c, obs.reached("manifest_get", http.StatusUnauthorized, n))

	errs := manifestsAtOnce(t, c, n, alpine)
	for i, err := range errs {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	if got := hub.Counts(); got.Tokens != 1 || got.Unauthorized != n || got.ManifestGets != 2*n {
		t.Errorf("%d concurrent refreshes: %+v; want 1 token, %d 401s, %d GETs", n, got, n, 2*n)
	}
}

// A new client's first requests, made at once, share one ping and one
// token request.
func TestConcurrentFirstRequestsMakeOneTokenRequest(t *testing.T) {
	const n = 8
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := seedAlpine(t, hub)
	c := hubClient(t, hub, Options{})
	for i, err := range manifestsAtOnce(t, c, n, alpine) {
		if err != nil {
			t.Errorf("client %d: %v", i, err)
		}
	}
	if got := hub.Counts(); got.Tokens != 1 || got.Pings != 1 || got.ManifestGets != n {
		t.Errorf("%d concurrent first requests: %+v; want 1 ping, 1 token, %d GETs", n, got, n)
	}
}

// holdTokenFetch makes the client's token exchanges wait for release
// before asking the realm.
func holdTokenFetch(c *Client, release <-chan struct{}) {
	fetch := c.tokens.fetch
	c.tokens.fetch = func(ctx context.Context, ch challenge, scope string) (token, error) {
		select {
		case <-release:
		case <-ctx.Done():
			return token{}, ctx.Err()
		}
		return fetch(ctx, ch, scope)
	}
}

// manifestsAtOnce fetches library/alpine:latest from n goroutines and
// returns each one's error, a digest other than want counting as one.
func manifestsAtOnce(t *testing.T, c *Client, n int, want v1.Hash) []error {
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m, err := c.Manifest(t.Context(), "library/alpine", "latest", nil)
			if err == nil && m.Digest != want {
				err = fmt.Errorf("digest %s, want %s", m.Digest, want)
			}
			errs[i] = err
		})
	}
	wg.Wait()
	return errs
}

// clientWithExpiredToken is a client that pulled library/alpine once and
// holds a token the hub has since expired; the hub's counts start at zero.
func clientWithExpiredToken(t *testing.T, o Options) (*upstreamtest.Hub, *Client, v1.Hash) {
	t.Helper()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	alpine := seedAlpine(t, hub)
	c := hubClient(t, hub, o)
	fetchManifest(t, c, "library/alpine", alpine)
	hub.Reset()
	hub.ExpireTokens()
	return hub, c, alpine
}
