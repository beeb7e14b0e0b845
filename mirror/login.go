package mirror

import (
	"net/http"
	"strings"
)

var errLoginRequired = apiErr(errUnauthorized, "authentication required")

// requireLogin applies the client login rule when Options.Users is set.
//
// Without AnonymousPull every request needs valid Basic credentials, the
// challenge docker login, skopeo --creds and containerd's hosts.toml
// headers know how to meet.
//
// With AnonymousPull reads (GET and HEAD of manifests, blobs, tags,
// referrers and the catalog) are served whatever credentials come with
// them, and everything else needs a login. GET /v2/ still challenges an
// anonymous caller, because that 401 is how `docker login` learns it must
// send credentials at all. How each client then pulls anonymously decided
// the challenge's scheme (read in their sources):
//
//   - dockerd's classic puller and `docker login` (moby's registry
//     package over distribution's client/auth) ping /v2/ first and from
//     then on authorise every request from the challenges of that ping.
//     Their Basic handler, holding no credentials, fails the request
//     before sending it ("no basic auth credentials"), so a Basic
//     challenge on /v2/ would break every anonymous docker pull, from
//     registry-mirrors too. Their token handler asks the realm without
//     credentials and sends what it gets.
//   - crane (ggcr transport/ping.go, bearer.go) and skopeo
//     (containers/image docker_client.go) also ping and follow the ping's
//     scheme: anonymously they fetch a token from the realm, and with a
//     Basic challenge they send empty or no credentials.
//   - containerd's resolver (remotes/docker/authorizer.go) and oras never
//     ping: they send the request and only read a challenge from a 401.
//
// So /v2/ answers anonymous callers with a Bearer challenge whose realm
// is this mirror (serveToken): a token is handed to anyone, naming the
// user only when the Basic credentials sent to the realm are right.
// Writes accept that token or Basic credentials, and refuse with the
// Basic challenge, which containerd and oras answer directly from a 401;
// a write that came with a token is refused in the token's scheme.
func (m *Mirror) requireLogin(next http.Handler) http.Handler {
	users := m.opts.Users
	if users == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m.opts.AnonymousPull {
			if r.URL.Path == tokenPath {
				m.serveToken(w, r)
				return
			}
			if isAnonymousRead(r) {
				next.ServeHTTP(w, r)
				return
			}
		}
		if m.loggedIn(r) {
			next.ServeHTTP(w, r)
			return
		}
		m.refuseLogin(w, r)
	})
}

// isAnonymousRead tells the requests that --anonymous-pull opens: GET and HEAD
// anywhere in the API but /v2/ itself (the login probe) and upload
// sessions (part of a push).
func isAnonymousRead(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	return p != "/v2" && !strings.Contains(p, "/blobs/uploads")
}

// loggedIn accepts right Basic credentials, or a token from serveToken
// that names a user.
func (m *Mirror) loggedIn(r *http.Request) bool {
	if user, pass, ok := r.BasicAuth(); ok {
		return m.opts.Users.check(user, pass)
	}
	if m.tokens == nil {
		return false
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	user, valid := m.tokens.verify(token, m.now())
	return ok && valid && user != ""
}

func (m *Mirror) refuseLogin(w http.ResponseWriter, r *http.Request) {
	// Named as the API would name it, so refusals show per route in the
	// access log and the request metrics.
	rt, _ := parseRoute(r.URL.EscapedPath(), r.URL.Query().Get("ns"), m.regs)
	setRouteName(w, rt.kind)
	challenge := `Basic realm="hubmirror"`
	switch {
	case m.opts.AnonymousPull && rt.kind == routeBase:
		challenge = m.bearerChallenge(r)
	case m.tokens != nil && strings.HasPrefix(r.Header.Get("Authorization"), "Bearer "):
		// The client speaks the realm's tokens and its token names no
		// user: answer as Docker Hub does (RFC 6750's insufficient_scope),
		// which dockerd reports as "denied" at once. A Basic challenge
		// here makes it retry every layer with back-off for a minute.
		challenge = m.bearerChallenge(r) + `,error="insufficient_scope"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	writeError(w, errLoginRequired, errNotFound)
}
