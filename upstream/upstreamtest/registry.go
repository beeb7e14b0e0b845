package upstreamtest

import (
	"net/http"
	"regexp"
	"strings"
)

// route is a parsed /v2/<repo>/<kind>/<ref> path.
type route struct {
	repo string
	kind Endpoint
	ref  string // tag or digest; empty for tag lists
}

// repoName is the distribution spec's repository name grammar.
var repoName = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$`)

// serveRegistry is the registry listener: the pull side of the distribution
// API only, as Hub offers to anonymous and read-only clients.
func (h *Hub) serveRegistry(w http.ResponseWriter, r *http.Request) {
	h.count.requests.Add(1)
	w.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
	h.repos.add(repoOfPath(r.URL.Path), r.Method != http.MethodGet && r.Method != http.MethodHead)
	h.repos.addNS(repoOfPath(r.URL.Path), r.URL.Query().Get("ns"))
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.writeError(w, errUnsupported)
		return
	}
	if r.URL.Path == "/v2/" || r.URL.Path == "/v2" {
		h.servePing(w, r)
		return
	}
	rt, ok := parseRoute(r.URL.Path)
	if !ok {
		h.writeError(w, errNotFound)
		return
	}
	h.serveRepo(w, r, rt)
}

// servePing answers /v2/: 200 to any valid token, else the bare challenge
// that tells clients where the token service is.
func (h *Hub) servePing(w http.ResponseWriter, r *http.Request) {
	h.count.pings.Add(1)
	if h.injectFault(w, EndpointPing) {
		return
	}
	if _, state := h.tokens.lookup(bearerToken(r)); state != tokenValid {
		h.challenge(w, "", state)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}

// serveRepo runs the per-repository pipeline: count, authorize, then inject
// faults, so an injected failure is spent on a request that would otherwise
// have succeeded (as Hub's 429s are).
func (h *Hub) serveRepo(w http.ResponseWriter, r *http.Request, rt route) {
	h.count.repoRequest(rt.kind, r.Method)
	if !h.authorize(w, r, rt.repo) || h.injectFault(w, rt.kind) {
		return
	}
	switch rt.kind {
	case EndpointManifest:
		h.serveManifest(w, r, rt)
	case EndpointBlob:
		h.serveBlob(w, r, rt)
	case EndpointTags:
		h.serveTags(w, r, rt)
	case EndpointReferrers:
		h.serveReferrers(w, r, rt)
	}
}

// parseRoute splits a /v2/ path. The repository may contain slashes, so the
// kind is found from the right.
func parseRoute(path string) (route, bool) {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return route{}, false
	}
	if repo, ok := strings.CutSuffix(rest, "/tags/list"); ok {
		return route{repo: repo, kind: EndpointTags}, repoName.MatchString(repo)
	}
	for _, k := range []struct {
		sep  string
		kind Endpoint
	}{{"/manifests/", EndpointManifest}, {"/blobs/", EndpointBlob}, {"/referrers/", EndpointReferrers}} {
		i := strings.LastIndex(rest, k.sep)
		if i < 0 {
			continue
		}
		rt := route{repo: rest[:i], kind: k.kind, ref: rest[i+len(k.sep):]}
		return rt, repoName.MatchString(rt.repo) && rt.ref != "" && !strings.Contains(rt.ref, "/")
	}
	return route{}, false
}
