package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// tokenTimeout bounds a token exchange, which runs detached from the
// request that asked for it because other requests may be waiting on it.
const tokenTimeout = 30 * time.Second

// token is a bearer token for one scope, with the time it stops being used.
type token struct {
	value   string
	renewAt time.Time
	issued  time.Time
}

// tokens caches one bearer token per scope for the whole process, so every
// client pulling library/alpine shares one token until it expires, and
// concurrent refreshes of a scope make one request to the realm.
type tokens struct {
	fetch func(ctx context.Context, c challenge, scope string) (token, error)
	ping  func(ctx context.Context) (*challenge, error)

	mu      sync.Mutex
	realm   *challenge // learnt from the registry's first Bearer challenge
	pinged  bool       // the registry was asked for its challenge
	byScope map[string]token
	flight  singleflight.Group
}

func newTokens(fetch func(context.Context, challenge, string) (token, error), ping func(context.Context) (*challenge, error)) *tokens {
	return &tokens{fetch: fetch, ping: ping, byScope: map[string]token{}}
}

// get returns a live token for scope, fetching one ahead of the request
// once the realm is known, so a new repository costs no 401 round trip.
// It returns "" for a registry that wants no token.
func (t *tokens) get(ctx context.Context, scope string) (string, error) {
	t.mu.Lock()
	tok, ok := t.byScope[scope]
	realm, pinged := t.realm, t.pinged
	t.mu.Unlock()
	if ok && time.Now().Before(tok.renewAt) {
		return tok.value, nil
	}
	if realm == nil && !pinged {
		realm = t.learnRealm(ctx)
	}
	if realm == nil {
		return "", nil
	}
	return t.refresh(ctx, scope, *realm, tok.value)
}

// learnRealm asks the registry's /v2/ for its challenge once, as docker
// does. A failed ping is not fatal: the request itself will be challenged.
func (t *tokens) learnRealm(ctx context.Context) *challenge {
	v, _, _ := t.flight.Do("\x00ping", func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenTimeout)
		defer cancel()
		ch, err := t.ping(ctx)
		t.mu.Lock()
		defer t.mu.Unlock()
		if err == nil {
			t.pinged = true
			if ch != nil && ch.scheme == "bearer" {
				t.realm = ch
			}
		}
		return t.realm, nil
	})
	return v.(*challenge)
}

// refresh replaces the token for scope that the registry rejected (or that
// expired). Callers that arrive while another caller's exchange is under
// way, or after it finished, share its result instead of asking again.
func (t *tokens) refresh(ctx context.Context, scope string, c challenge, rejected string) (string, error) {
	t.mu.Lock()
	t.realm = &c
	t.mu.Unlock()
	v, err, _ := t.flight.Do(scope, func() (any, error) {
		t.mu.Lock()
		cur, ok := t.byScope[scope]
		t.mu.Unlock()
		if ok && cur.value != rejected && time.Now().Before(cur.renewAt) {
			return cur.value, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), tokenTimeout)
		defer cancel()
		tok, err := t.fetch(ctx, c, scope)
		if err != nil {
			return "", err
		}
		t.mu.Lock()
		t.byScope[scope] = tok
		t.mu.Unlock()
		return tok.value, nil
	})
	return v.(string), err
}

// issuedSince says whether value is scope's token and the realm issued it
// at or after since: an answer to the very request that is using it.
func (t *tokens) issuedSince(scope, value string, since time.Time) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.byScope[scope]
	return ok && tok.value == value && !tok.issued.Before(since)
}

// fetchToken asks the realm for a pull token, sending Basic credentials
// (if configured) to the realm and nowhere else. Every way it can fail but
// an anonymous refusal is a *TokenError (see there for why).
func (c *Client) fetchToken(ctx context.Context, ch challenge, scope string) (token, error) {
	u, err := c.realmURL(ch)
	if err != nil {
		return token{}, err
	}
	user, pass, err := c.account()
	if err != nil {
		return token{}, fmt.Errorf("upstream: credentials: %w", err)
	}
	if user != "" && !c.policy.mayReceiveCredentials(u) {
		return token{}, fmt.Errorf("%w: token realm %s is not on the registry's domain; list it in the upstream's realm_hosts to send it credentials", ErrRefusedHost, u.Host)
	}
	fail := &TokenError{Registry: c.base.Host, Realm: u.Redacted(), User: user}
	if wait := c.guard.wait(user, pass); wait > 0 {
		fail.Status, fail.Wait = http.StatusUnauthorized, wait
		return token{}, fail
	}
	tok, err := c.exchange(ctx, u, ch, scope, user, pass)
	var se *StatusError
	switch {
	case err == nil:
		c.guard.issued()
		return tok, nil
	case errors.As(err, &se):
		if user == "" && (se.StatusCode == http.StatusUnauthorized || se.StatusCode == http.StatusForbidden) {
			return token{}, err // the scope is not visible to anonymous requests: "not found"
		}
		fail.Status = se.StatusCode
	default:
		fail.Err = err
	}
	c.guard.failed(fail, pass)
	return token{}, fail
}

// exchange sends one token request (retried as any other) and reads its answer.
func (c *Client) exchange(ctx context.Context, u *url.URL, ch challenge, scope, user, pass string) (token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return token{}, err
	}
	q := req.URL.Query()
	if svc := ch.params["service"]; svc != "" {
		q.Set("service", svc)
	}
	q.Set("scope", scope)
	req.URL.RawQuery = q.Encode()
	if user != "" {
		req.SetBasicAuth(user, pass)
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.withRetry(ctx, func() (*http.Response, error) {
		c.obs.Token()
		resp, err := c.http.Do(req)
		if err != nil {
			c.obs.Request("token", 0)
			c.health.record(0, err)
			return nil, fmt.Errorf("%w: token: %v", ErrUnreachable, err)
		}
		c.obs.Request("token", resp.StatusCode)
		c.health.record(resp.StatusCode, nil)
		return resp, nil
	})
	if err != nil {
		return token{}, err
	}
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return token{}, err
	}
	defer resp.Body.Close()
	return decodeToken(resp.Body)
}

func (c *Client) realmURL(ch challenge) (*url.URL, error) {
	u, err := url.Parse(ch.params["realm"])
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("upstream: bad token realm %q", ch.params["realm"])
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && c.base.Scheme == "http") {
		return nil, fmt.Errorf("%w: realm %s is not https", ErrRefusedHost, u.Redacted())
	}
	return u, c.policy.check(u)
}

func decodeToken(r io.Reader) (token, error) {
	var body struct {
		Token       string `json:"token"`
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := json.NewDecoder(io.LimitReader(r, 64<<10)).Decode(&body); err != nil {
		return token{}, fmt.Errorf("%w: decoding it: %v", ErrMalformedToken, err)
	}
	v := body.Token
	if v == "" {
		v = body.AccessToken
	}
	if v == "" {
		return token{}, ErrMalformedToken
	}
	// The token spec's default lifetime is 60 s. Renew at 90% of it so a
	// request never sets off with a token that dies in flight.
	life := time.Duration(body.ExpiresIn) * time.Second
	if life <= 0 {
		life = 60 * time.Second
	}
	now := time.Now()
	return token{value: v, renewAt: now.Add(life * 9 / 10), issued: now}, nil
}
