package mirror

import (
	"fmt"
	"path"
	"strings"
)

// dockerHub is what clients call Docker Hub, whatever its API's URL.
const dockerHub = "docker.io"

// Registry is one upstream the mirror serves, under the name clients use
// for it.
type Registry struct {
	// Host is what clients call the registry: the ?ns= value containerd
	// sends and the path prefix other clients use ("ghcr.io").
	Host     string
	Upstream Upstream
	// Allow limits the repositories served, as path.Match patterns
	// ("library/*", "myorg/*"); empty allows all.
	Allow []string
}

type registry struct {
	Registry
}

// repository normalizes and validates a repository name for this registry.
// Docker Hub's official images live under library/, and a bare name means
// one of them. The check comes after the prefix, so the 255-byte limit
// holds for the name upstream and the cache see.
func (r *registry) repository(name string) (string, error) {
	if r.Host == dockerHub && !strings.Contains(name, "/") {
		name = "library/" + name
	}
	if err := validName(name); err != nil {
		return "", err
	}
	if !r.allows(name) {
		return "", apiErr(errDenied, "%s/%s is not mirrored here", r.Host, name)
	}
	return name, nil
}

func (r *registry) allows(repo string) bool {
	if len(r.Allow) == 0 {
		return true
	}
	for _, pattern := range r.Allow {
		if ok, _ := path.Match(pattern, repo); ok {
			return true
		}
	}
	return false
}

// registries maps the names clients use to configured upstreams. Nothing
// else can be reached: a name that is not configured is refused before any
// connection is made.
type registries struct {
	byHost map[string]*registry
	def    *registry
	hosted hostedPatterns // names served from local storage (hosted_route.go)
}

func newRegistries(list []Registry) (*registries, error) {
	rs := &registries{byHost: map[string]*registry{}}
	for _, r := range list {
		host := strings.ToLower(r.Host)
		if _, dup := rs.byHost[host]; dup || host == "" || r.Upstream == nil {
			return nil, fmt.Errorf("registry %q: empty, duplicate or without upstream", r.Host)
		}
		r.Host = host
		rs.byHost[host] = &registry{r}
	}
	rs.def = rs.byHost[dockerHub]
	if rs.def == nil && len(list) > 0 {
		rs.def = rs.byHost[strings.ToLower(list[0].Host)]
	}
	if rs.def == nil {
		return nil, fmt.Errorf("no upstream registry configured")
	}
	return rs, nil
}

// pick finds the registry a request means: containerd names it in ?ns=,
// other clients put it in front of the name (mirror:5000/ghcr.io/owner/x),
// and a plain name means the default (Docker Hub).
func (rs *registries) pick(ns, name string) (*registry, string, error) {
	if ns != "" {
		return rs.lookup(ns, name)
	}
	first, rest, found := strings.Cut(name, "/")
	if found && looksLikeHost(first) {
		return rs.lookup(first, rest)
	}
	return rs.def, name, nil
}

func (rs *registries) lookup(host, name string) (*registry, string, error) {
	host = strings.ToLower(host)
	if host == "index.docker.io" || host == "registry-1.docker.io" {
		host = dockerHub
	}
	if r, ok := rs.byHost[host]; ok {
		return r, name, nil
	}
	return nil, "", apiErr(errNameUnknown, "registry %q is not mirrored here", host)
}

// looksLikeHost applies docker's rule for telling a registry host from the
// first component of a repository name.
func looksLikeHost(s string) bool {
	return strings.ContainsAny(s, ".:") || s == "localhost"
}
