package upstreamtest

import (
	"maps"
	"strings"
	"sync"
)

// repoCounts counts every request naming a repository: any method on
// /v2/<repo>/..., write attempts included (the fake refuses them, but a
// mirror that sent one has leaked a push), and token requests whose scope
// names it. Tests of hosted names expect 0 for them.
type repoCounts struct {
	mu     sync.Mutex
	n      map[string]int64
	writes map[string]int64 // of n, the requests other than GET and HEAD
	// byNS counts the registry's requests naming a repository by the ?ns=
	// they carried ("" for none). Hub ignores ns, as the fake does
	// otherwise; a mirror of a mirror must send it (containerd's rule).
	byNS map[string]int64
}

func (c *repoCounts) add(repo string, write bool) {
	if repo == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	c.n[repo]++
	if write {
		c.writes[repo]++
	}
}

func (c *repoCounts) init() {
	if c.n == nil {
		c.n, c.writes, c.byNS = map[string]int64{}, map[string]int64{}, map[string]int64{}
	}
}

// addNS counts one registry request for repo that carried ns.
func (c *repoCounts) addNS(repo, ns string) {
	if repo == "" {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.init()
	c.byNS[ns]++
}

// RequestsByNS is how many registry requests naming a repository carried
// each ?ns= value ("" for none) since the hub started: a mirror in front
// of another mirror names the registry it means in every one.
func (h *Hub) RequestsByNS() map[string]int64 {
	h.repos.mu.Lock()
	defer h.repos.mu.Unlock()
	return maps.Clone(h.repos.byNS)
}

// RequestsFor is how many requests named repo ("team/app"), on the
// registry or in a token scope, since the hub started.
func (h *Hub) RequestsFor(repo string) int64 {
	h.repos.mu.Lock()
	defer h.repos.mu.Unlock()
	return h.repos.n[repo]
}

// WritesFor is how many of RequestsFor(repo) were writes (POST, PUT,
// PATCH, DELETE): what a mirror refusing a push must never forward. The
// reads a client makes before pushing (HEAD of its blobs) are ordinary
// lookups of a mirrored name and may reach the hub.
func (h *Hub) WritesFor(repo string) int64 {
	h.repos.mu.Lock()
	defer h.repos.mu.Unlock()
	return h.repos.writes[repo]
}

// repoOfPath reads the repository from any /v2/<repo>/<endpoint>... path,
// upload sessions and referrers included, which parseRoute refuses.
func repoOfPath(path string) string {
	rest, ok := strings.CutPrefix(path, "/v2/")
	if !ok {
		return ""
	}
	end := -1
	for _, sep := range []string{"/manifests/", "/blobs/", "/tags/", "/referrers/"} {
		if i := strings.LastIndex(rest, sep); i > end {
			end = i
		}
	}
	if end <= 0 {
		return ""
	}
	return rest[:end]
}

// countScopes counts the repositories of "repository:<repo>:<actions>".
func (c *repoCounts) countScopes(scopes []string) {
	for _, s := range scopes {
		rest, ok := strings.CutPrefix(s, "repository:")
		if i := strings.LastIndex(rest, ":"); ok && i > 0 {
			c.add(rest[:i], false)
		}
	}
}
