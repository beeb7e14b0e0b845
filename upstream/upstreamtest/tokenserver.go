package upstreamtest

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// tokenResponse is auth.docker.io's answer; token and access_token carry the
// same value because clients read either.
type tokenResponse struct {
	Token       string `json:"token"`
	AccessToken string `json:"access_token"`
	ExpiresIn   int64  `json:"expires_in"`
	IssuedAt    string `json:"issued_at"`
}

// serveToken is the auth listener: GET /token?service=&scope=... with
// optional Basic credentials. OAuth2 POST is not offered; Docker's clients
// only use it with a refresh token, which this fake never issues.
func (h *Hub) serveToken(w http.ResponseWriter, r *http.Request) {
	h.count.tokens.Add(1)
	if h.injectFault(w, EndpointToken) {
		return
	}
	if r.URL.Path != "/token" {
		tokenError(w, http.StatusNotFound, "not found")
		return
	}
	if r.Method != http.MethodGet {
		tokenError(w, http.StatusMethodNotAllowed, "method not allowed")
		return
	}
	h.issueToken(w, r)
}

func (h *Hub) issueToken(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	user, pass, basic := r.BasicAuth()
	scopes := splitScopes(q["scope"])
	h.count.tokenRequest(TokenRequest{Service: q.Get("service"), Scopes: scopes, Basic: basic, Username: user})
	h.repos.countScopes(scopes)
	if s := q.Get("service"); s != "" && s != h.opts.Service {
		tokenError(w, http.StatusBadRequest, "invalid service")
		return
	}
	if basic && !h.users.check(user, pass) {
		h.count.unauthorized.Add(1)
		tokenError(w, http.StatusUnauthorized, "incorrect username or password")
		return
	}
	if !basic {
		user = ""
	}
	tok := h.tokens.issue(h.grantable(scopes, user), h.opts.TokenTTL)
	writeJSON(w, http.StatusOK, tokenResponse{
		Token: tok, AccessToken: tok,
		ExpiresIn: int64(math.Ceil(h.opts.TokenTTL.Seconds())),
		IssuedAt:  time.Now().UTC().Format(time.RFC3339),
	})
}

// grantable grants pull on each requested repository the caller may see.
// Unknown repositories are silently left out, exactly as Hub does: the token
// is issued, and the registry answers 401 later.
func (h *Hub) grantable(scopes []string, user string) map[string]bool {
	repos := map[string]bool{}
	for _, s := range scopes {
		repo, ok := pullScope(s)
		if ok && h.store.visible(repo, user) {
			repos[repo] = true
		}
	}
	return repos
}

// splitScopes accepts both repeated scope parameters (Docker, ggcr) and
// space-separated ones (OAuth2 style).
func splitScopes(params []string) []string {
	var out []string
	for _, p := range params {
		out = append(out, strings.Fields(p)...)
	}
	return out
}

// pullScope parses "repository:<name>:<actions>"; the name may contain
// slashes but not colons, so the actions follow the last colon.
func pullScope(scope string) (string, bool) {
	rest, ok := strings.CutPrefix(scope, "repository:")
	i := strings.LastIndex(rest, ":")
	if !ok || i <= 0 {
		return "", false
	}
	for _, a := range strings.Split(rest[i+1:], ",") {
		if a == "pull" || a == "*" {
			return rest[:i], true
		}
	}
	return "", false
}

// tokenError mimics auth.docker.io's error body, which is not the registry's.
func tokenError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"details": msg})
}
