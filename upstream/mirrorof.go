package upstream

import (
	"net/url"
	"strings"
)

// dockerHubNames are what Docker Hub is called by clients and where its
// API answers. A registry of one of these names at one of these endpoints
// is Docker Hub itself, not a mirror of it.
var dockerHubNames = map[string]bool{
	"docker.io": true, "index.docker.io": true, "registry-1.docker.io": true, "registry.hub.docker.com": true,
}

// mirrorNS is the ?ns= every request to base carries: the registry's name
// when base is not the registry's own endpoint but a mirror of it (another
// hubmirror, say), "" when base is the registry itself. It is containerd's
// rule (remotes/docker isProxy): a mirror serves many registries under one
// /v2/, and without ns it can only read a name as Docker Hub's, so a child
// mirroring ghcr.io/owner/tool would be sent Docker Hub's owner/tool.
func mirrorNS(registry string, base *url.URL) string {
	registry = strings.ToLower(registry)
	host := strings.ToLower(base.Host)
	if registry == "" || host == registry || withoutDefaultPort(base) == registry {
		return ""
	}
	if dockerHubNames[registry] && dockerHubNames[withoutDefaultPort(base)] {
		return ""
	}
	return registry
}

// withoutDefaultPort is base's host as a registry name writes it:
// https://ghcr.io:443 is ghcr.io.
func withoutDefaultPort(base *url.URL) string {
	host := strings.ToLower(base.Host)
	if p := base.Port(); p == "443" && base.Scheme == "https" || p == "80" && base.Scheme == "http" {
		return strings.TrimSuffix(host, ":"+p)
	}
	return host
}

// url is path on the registry with query, plus ns when the registry is a
// mirror. ns is set, not added: a Link header from the mirror may already
// carry it, and it must be sent once.
func (c *Client) url(path string, query url.Values) *url.URL {
	u := c.base.JoinPath(path)
	u.RawQuery = c.withNS(query).Encode()
	return u
}

// withNS is query with ns set, as a copy: the caller's values (a client's
// paging parameters) stay as they were.
func (c *Client) withNS(query url.Values) url.Values {
	if c.ns == "" {
		return query
	}
	q := url.Values{}
	for k, v := range query {
		q[k] = v
	}
	q.Set("ns", c.ns)
	return q
}

// linkWithNS is a next-page URL from the registry's Link header, with ns
// so the next page is asked of the same registry.
func (c *Client) linkWithNS(u *url.URL) *url.URL {
	if c.ns == "" {
		return u
	}
	next := *u
	next.RawQuery = c.withNS(u.Query()).Encode()
	return &next
}
