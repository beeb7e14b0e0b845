package mirror

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// TrustedProxies are the networks whose X-Forwarded-* headers the mirror
// believes: the balancers in front of it. Anyone else may write those
// headers too, to forge the address the access log records or the realm
// a login challenge sends credentials to, so a peer outside them is taken
// at its word only for what TCP proves: its own address.
type TrustedProxies []netip.Prefix

// ParseTrustedProxies reads CIDRs ("10.0.0.0/8"); a bare address is a
// network of one.
func ParseTrustedProxies(cidrs []string) (TrustedProxies, error) {
	var out TrustedProxies
	for _, s := range cidrs {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if !strings.Contains(s, "/") {
			a, err := netip.ParseAddr(s)
			if err != nil {
				return nil, fmt.Errorf("trusted proxy %q: want a CIDR such as 10.0.0.0/8 or an address", s)
			}
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q: want a CIDR such as 10.0.0.0/8: %w", s, err)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func (t TrustedProxies) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range t {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// peer is the address the connection came from.
func peer(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// addrString is p.String() for r's peer p, cut from RemoteAddr without
// allocating where RemoteAddr spells it so: a plain IPv4 peer, which
// netip parses only in its one canonical form (an IPv4-mapped IPv6 peer
// is spelt differently once unmapped, and takes p.String()).
func addrString(r *http.Request, p netip.Addr) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if a, perr := netip.ParseAddr(host); err == nil && perr == nil && a.Is4() {
		return host
	}
	return p.String()
}

func (t TrustedProxies) fromTrusted(r *http.Request) bool {
	return len(t) > 0 && t.trusts(peer(r))
}

// clientAddr is who sent the request, for the access log. Behind trusted
// proxies it is the right-most X-Forwarded-For hop that is not one of
// them: each proxy appends the peer it saw, so hops left of the first
// untrusted one were written by the client and prove nothing.
func (t TrustedProxies) clientAddr(r *http.Request) string {
	p := peer(r)
	if !p.IsValid() {
		return r.RemoteAddr
	}
	if !t.fromTrusted(r) {
		return addrString(r, p)
	}
	hops := forwardedFor(r)
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(hops[i])
		if err != nil || !t.trusts(a) {
			return hops[i]
		}
		p = a.Unmap()
	}
	return p.String() // every hop a proxy: the left-most one is the client
}

// forwardedFor is every X-Forwarded-For hop in order, across repeated
// headers.
func forwardedFor(r *http.Request) []string {
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		for _, h := range strings.Split(v, ",") {
			if h = strings.TrimSpace(h); h != "" {
				hops = append(hops, h)
			}
		}
	}
	return hops
}

// origin is the scheme and host the client addressed, for the absolute
// URLs the mirror sends back (the token realm): the balancer's, when a
// trusted one says so, else this connection's.
func (t TrustedProxies) origin(r *http.Request) (scheme, host string) {
	scheme, host = "http", r.Host
	if r.TLS != nil {
		scheme = "https"
	}
	if !t.fromTrusted(r) {
		return scheme, host
	}
	if p := firstValue(r.Header.Get("X-Forwarded-Proto")); p == "http" || p == "https" {
		scheme = p
	}
	if h := firstValue(r.Header.Get("X-Forwarded-Host")); h != "" {
		host = h
	}
	return scheme, host
}

// firstValue is the left-most entry of a comma-separated header: what
// the outermost proxy saw the client use.
func firstValue(v string) string {
	first, _, _ := strings.Cut(v, ",")
	return strings.TrimSpace(first)
}
