package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"
)

// Options configure one upstream registry.
type Options struct {
	// URL is where the registry's API lives, e.g. https://registry-1.docker.io.
	URL string
	// Registry is what clients call the registry ("docker.io", "ghcr.io").
	// When URL is not the registry's own endpoint it is a mirror of it,
	// and every request names the registry in ?ns= (see mirrorNS).
	Registry string
	// Credentials, when set, are exchanged for tokens at the realm; they are
	// asked again at every exchange (see Credentials). Nil is anonymous.
	Credentials Credentials
	// AllowPrivateNetworks lets the registry send the mirror to token realms
	// and redirect targets on private addresses (a LAN registry whose blobs
	// live on LAN storage). Off by default: see hostPolicy.
	AllowPrivateNetworks bool
	// RealmHosts are token realms, besides those on the registry's own
	// registrable domain, that may receive the Credentials.
	RealmHosts []string
	// UserAgent names the mirror to the registry.
	UserAgent string
	// Observer, if set, is told of every request, for metrics.
	Observer Observer
	// StallTimeout is how long a blob body may send nothing before it counts
	// as broken and is resumed; default 30s.
	StallTimeout time.Duration
	Log          *slog.Logger
}

// Client talks to one upstream registry. It is safe for concurrent use and
// meant to live as long as the process, so its tokens and connections are
// shared by every request.
type Client struct {
	base      *url.URL
	ns        string // ?ns= of every request, "" unless base is a mirror
	creds     Credentials
	userAgent string
	policy    hostPolicy
	retry     retryPolicy
	stall     time.Duration
	limits    rateLimit
	pause     cooldown
	obs       Observer
	health    healthState
	guard     tokenGuard
	http      *http.Client
	tokens    *tokens
	log       *slog.Logger
}

// DefaultStallTimeout is the StallTimeout of Options that set none, and
// the default of the --upstream-stall-timeout flag.
const DefaultStallTimeout = 30 * time.Second

// New returns a client for the registry at o.URL.
func New(o Options) (*Client, error) {
	base, err := url.Parse(o.URL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("upstream URL %q: want http(s)://host[:port]", o.URL)
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Observer == nil {
		o.Observer = noObserver{}
	}
	if o.StallTimeout <= 0 {
		o.StallTimeout = DefaultStallTimeout
	}
	c := &Client{
		base:      base,
		ns:        mirrorNS(o.Registry, base),
		creds:     o.Credentials,
		userAgent: o.UserAgent,
		policy:    hostPolicy{registryHost: base.Host, allowPrivate: o.AllowPrivateNetworks, realmHosts: o.RealmHosts},
		retry:     defaultRetry,
		stall:     o.StallTimeout,
		obs:       o.Observer,
		log:       o.Log,
	}
	c.guard = tokenGuard{log: o.Log, obs: o.Observer}
	c.http = &http.Client{Transport: newSplitTransport(base.Host), CheckRedirect: c.policy.checkRedirect}
	c.tokens = newTokens(c.fetchToken, c.ping)
	return c, nil
}

// ping asks /v2/ how the registry wants to be authenticated.
func (c *Client) ping(ctx context.Context) (*challenge, error) {
	resp, err := c.send(ctx, http.MethodGet, c.base.JoinPath("/v2/"), nil, "")
	if err != nil {
		return nil, err
	}
	drain(resp)
	if resp.StatusCode != http.StatusUnauthorized {
		return nil, nil
	}
	ch, ok := parseChallenge(resp.Header)
	if !ok {
		return nil, nil
	}
	return &ch, nil
}

// do sends an authenticated request for repo's content. On a 401 it learns
// the challenge, gets a token for the repository's pull scope and tries once
// more. The caller owns the response body.
func (c *Client) do(ctx context.Context, method, repo, path string, hdr http.Header) (*http.Response, error) {
	return c.doQuery(ctx, method, repo, path, nil, hdr)
}

// doQuery retries what is worth retrying (see retryPolicy); every request
// the mirror makes upstream is a GET or HEAD, so all are idempotent. While
// the registry's last 429 is in force, nothing is sent (see cooldown).
func (c *Client) doQuery(ctx context.Context, method, repo, path string, query url.Values, hdr http.Header) (*http.Response, error) {
	u := c.url(path, query)
	if err := c.pause.refuse(method, u); err != nil {
		return nil, err
	}
	resp, err := c.withRetry(ctx, func() (*http.Response, error) {
		return c.doOnce(ctx, method, repo, u, hdr)
	})
	c.pause.note(resp)
	return resp, err
}

func (c *Client) doOnce(ctx context.Context, method, repo string, u *url.URL, hdr http.Header) (*http.Response, error) {
	scope := "repository:" + repo + ":pull"
	start := time.Now()
	auth, err := c.tokens.get(ctx, scope)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, method, u, hdr, c.authHeader(auth))
	if err != nil || resp.StatusCode != http.StatusUnauthorized {
		return resp, err
	}
	ch, ok := parseChallenge(resp.Header)
	if !ok || ch.params["error"] == "insufficient_scope" && c.tokens.issuedSince(scope, auth, start) {
		// The realm was just asked for this scope and granted less, as
		// Hub does for a missing or private repository: asking again
		// would cost a token and a GET for the same answer.
		return resp, nil
	}
	retry, err := c.answer(ctx, ch, scope, auth)
	if err != nil || retry == "" {
		resp.Body.Close()
		return nil, orStatus(err, resp)
	}
	drain(resp)
	return c.send(ctx, method, u, hdr, retry)
}

// answer returns the Authorization header to retry with, or "" when the
// challenge cannot be met (Basic without credentials).
func (c *Client) answer(ctx context.Context, ch challenge, scope, rejected string) (string, error) {
	switch ch.scheme {
	case "bearer":
		tok, err := c.tokens.refresh(ctx, scope, ch, rejected)
		return c.authHeader(tok), err
	case "basic":
		user, pass, err := c.account()
		if err != nil || user == "" {
			return "", err
		}
		req := http.Request{Header: http.Header{}}
		req.SetBasicAuth(user, pass)
		return req.Header.Get("Authorization"), nil
	}
	return "", nil
}

func (c *Client) authHeader(tok string) string {
	if tok == "" {
		return ""
	}
	return "Bearer " + tok
}

func (c *Client) send(ctx context.Context, method string, u *url.URL, hdr http.Header, auth string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, u.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		c.obs.Request(requestKind(req), 0)
		c.health.record(0, err)
		return nil, unreachable(err)
	}
	c.obs.Request(requestKind(req), resp.StatusCode)
	c.health.record(resp.StatusCode, nil)
	if remaining, ok := c.limits.observe(resp.Header); ok {
		c.obs.RateLimit(remaining)
	}
	return resp, nil
}

func unreachable(err error) error {
	if errors.Is(err, ErrRefusedHost) {
		return err
	}
	return fmt.Errorf("%w: %v", ErrUnreachable, err)
}

// orStatus reports a failed challenge: the exchange's own error if there was
// one, else the 401 itself.
func orStatus(err error, resp *http.Response) error {
	if err != nil {
		return err
	}
	return &StatusError{StatusCode: resp.StatusCode, Method: resp.Request.Method, URL: redactedURL(resp.Request), Challenge: challengeError(resp)}
}

// drain reads a little of a body we discard, so its connection can be reused.
func drain(resp *http.Response) {
	io.CopyN(io.Discard, resp.Body, 4<<10)
	resp.Body.Close()
}
