package upstream

import (
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"time"
)

// splitTransport sends the registry's small requests (ping, manifests, tag
// lists) over HTTP/2 where the registry offers it, so a pull's dozens of
// them share one connection and no handshake, and every blob body over
// HTTP/1.1 connections of its own. On a long link one TCP flow gets about
// window ÷ RTT, so bodies fetched at once (the layers of an image, the
// pieces of one layer) must be separate flows; HTTP/2 would multiplex them
// onto one. Blob bodies are the registry's /blobs/ requests and anything
// on another host: the CDN a blob redirects to, and the token realm.
type splitTransport struct {
	registryHost string
	small, bulk  *http.Transport
}

func newSplitTransport(registryHost string) *splitTransport {
	bulk := newTransport()
	bulk.ForceAttemptHTTP2 = false
	// A non-nil empty map is how net/http is told not to negotiate h2.
	bulk.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
	return &splitTransport{registryHost: registryHost, small: newTransport(), bulk: bulk}
}

func (s *splitTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != s.registryHost || strings.Contains(r.URL.Path, "/blobs/") {
		return s.bulk.RoundTrip(r)
	}
	return s.small.RoundTrip(r)
}

// newTransport is tuned for a few hosts and long bodies: many idle
// connections per host (every blob of an image is fetched in parallel, and
// each is kept for the next), and timeouts on connecting and on waiting for
// headers but none on a body, which may take minutes for a large layer.
func newTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          128,
		MaxIdleConnsPerHost:   32,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 60 * time.Second,
		ExpectContinueTimeout: time.Second,
	}
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach both.
func (s *splitTransport) CloseIdleConnections() {
	s.small.CloseIdleConnections()
	s.bulk.CloseIdleConnections()
}
