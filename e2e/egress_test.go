package e2e

import "os"

// deadProxy is a port nothing listens on. Daemons started here get it as
// their HTTP(S) proxy: Go never proxies loopback addresses, so registries
// on 127.0.0.1 are still reached directly, while any request to a real host
// (dockerd's silent fallback to registry-1.docker.io, or a hubmirror with
// a forgotten upstream flag) fails at once instead of reaching the internet
// from a CI host that has it.
const deadProxy = "http://127.0.0.1:9"

// offlineEnv is the caller's environment with outbound HTTP(S) blackholed.
func offlineEnv() []string {
	return append(os.Environ(),
		"HTTP_PROXY="+deadProxy, "HTTPS_PROXY="+deadProxy,
		"http_proxy="+deadProxy, "https_proxy="+deadProxy,
		"NO_PROXY=", "no_proxy=")
}
