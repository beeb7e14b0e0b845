package upstream

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
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
