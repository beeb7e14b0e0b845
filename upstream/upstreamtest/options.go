package upstreamtest

import "time"

// Options shape one fake Hub; the zero value behaves like Docker Hub.
type Options struct {
	// Service is the name the registry advertises in its challenge and the
	// token endpoint insists on; default "registry.docker.io".
	Service string
	// TokenTTL is how long issued tokens stay valid. It may be shorter than a
	// second so tests can watch a token expire; expires_in is then rounded up.
	// Default 300s, like auth.docker.io.
	TokenTTL time.Duration
	// CDNHost is the host written into blob redirects. The default name
	// "localhost" keeps clients that refuse redirects to private IP literals
	// (go-containerregistry) working; an IP literal such as "127.0.0.2" lets
	// tests check the mirror's own redirect policy, and the CDN then listens
	// on that address.
	CDNHost string
	// Users maps username to password for Basic auth at the token endpoint.
	// Private repositories are granted only to a request that passes it.
	// The Hub copies it, so a caller mutating its map cannot race the
	// handlers; SetUser changes it.
	Users map[string]string
	// Bandwidth caps each CDN response in bytes per second; 0 is unlimited.
	// Per response, not global, because that is how a CDN edge behaves, and
	// how one TCP flow on a long link is held to window ÷ RTT. One response
	// is one connection at a time, so it is the per-connection cap.
	// SetBandwidth changes it.
	Bandwidth int64
	// LinkBandwidth caps all CDN bodies together in bytes per second, the
	// capacity of the client's link that its connections share; 0 is
	// unlimited. SetLinkBandwidth changes it.
	LinkBandwidth int64
	// RTT is the round trip every request of every listener pays before its
	// headers, plus once more on a new connection; see SetRTT.
	RTT time.Duration
}

func (o Options) withDefaults() Options {
	if o.Service == "" {
		o.Service = "registry.docker.io"
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = 300 * time.Second
	}
	if o.CDNHost == "" {
		o.CDNHost = "localhost"
	}
	return o
}
