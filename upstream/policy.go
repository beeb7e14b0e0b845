package upstream

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"golang.org/x/net/publicsuffix"
)

// hostPolicy decides which hosts besides the registry itself may receive a
// request: token realms and blob redirect targets. A registry is an
// untrusted party that names URLs for the mirror to fetch, so by default it
// may not point the mirror at private, loopback or link-local addresses
// (cloud metadata services, the LAN's admin interfaces) other than its own.
// A LAN registry that redirects to LAN storage needs AllowPrivateNetworks.
type hostPolicy struct {
	registryHost string // host:port of the configured upstream, always allowed
	allowPrivate bool
	realmHosts   []string // extra hosts that may receive credentials
}

// mayReceiveCredentials says whether a token realm may be sent the
// upstream's username and password: only a realm on the registry's own
// registrable domain (auth.docker.io for registry-1.docker.io), or one the
// operator named. A registry cannot talk the mirror into handing its
// Docker Hub password to somebody else's server.
func (p hostPolicy) mayReceiveCredentials(u *url.URL) bool {
	if slices.Contains(p.realmHosts, u.Host) || slices.Contains(p.realmHosts, u.Hostname()) {
		return true
	}
	return registrableDomain(u.Hostname()) == registrableDomain(hostOnly(p.registryHost))
}

// registrableDomain is the public suffix plus one label ("docker.io" for
// auth.docker.io); an IP or a single-label name is its own domain.
func registrableDomain(host string) string {
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

func hostOnly(hostport string) string {
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		return h
	}
	return hostport
}

func (p hostPolicy) check(u *url.URL) error {
	if p.allowPrivate || u.Host == p.registryHost {
		return nil
	}
	if isPrivateLiteral(u.Hostname()) {
		return fmt.Errorf("%w: %s is a private address (allow with the upstream's private-network switch)", ErrRefusedHost, u.Host)
	}
	return nil
}

// isPrivateLiteral reports whether host is an IP literal for an internal
// address. Numeric spellings that net/netip rejects ("127.1", "0x7f000001")
// can still reach such an address through the system resolver, so any host
// that reads as inet_aton numbers counts as internal.
func isPrivateLiteral(host string) bool {
	addr, err := netip.ParseAddr(strings.Split(host, "%")[0])
	if err != nil {
		return looksNumeric(host)
	}
	addr = addr.Unmap()
	return addr.IsLoopback() || addr.IsPrivate() || addr.IsLinkLocalUnicast() ||
		addr.IsLinkLocalMulticast() || addr.IsUnspecified()
}

func looksNumeric(host string) bool {
	parts := strings.Split(host, ".")
	if len(parts) > 4 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.ParseUint(p, 0, 32); err != nil {
			return false
		}
	}
	return true
}

// checkRedirect follows a registry's redirect (Docker Hub sends blob GETs to
// its CDN with a 307) and strips the registry's Authorization header on the
// way: a CDN's signed URL needs no token, and must never see one.
func (p hostPolicy) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return fmt.Errorf("upstream: stopped after %d redirects", len(via))
	}
	if req.URL.Host != via[0].URL.Host {
		req.Header.Del("Authorization")
	}
	return p.check(req.URL)
}
