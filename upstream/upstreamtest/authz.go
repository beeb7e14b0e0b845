package upstreamtest

import (
	"fmt"
	"net/http"
	"strings"
)

// authorize lets a request through only with an unexpired token that grants
// pull on repo. A repository that is missing or private looks the same as one
// the token does not cover: Hub never tells an outsider a repo is absent.
func (h *Hub) authorize(w http.ResponseWriter, r *http.Request, repo string) bool {
	g, state := h.tokens.lookup(bearerToken(r))
	if state == tokenValid && g.repos[repo] {
		return true
	}
	h.challenge(w, repo, state)
	return false
}

// challenge sends Hub's 401. Like Hub it names the scope for repository
// requests and adds error= only when a token was presented: invalid_token
// when it is unknown or expired, insufficient_scope when it does not cover
// the repository.
func (h *Hub) challenge(w http.ResponseWriter, repo string, state tokenState) {
	v := fmt.Sprintf(`Bearer realm=%q,service=%q`, h.Realm, h.opts.Service)
	if repo != "" {
		v += fmt.Sprintf(`,scope="repository:%s:pull"`, repo)
	}
	switch {
	case state == tokenInvalid:
		v += `,error="invalid_token"`
	case state == tokenValid && repo != "":
		v += `,error="insufficient_scope"`
	}
	w.Header().Set("WWW-Authenticate", v)
	h.writeError(w, errUnauthorized)
}

func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}
