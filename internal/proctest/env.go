package proctest

import "strings"

// deadProxy is a port nothing listens on. Go never proxies loopback
// addresses, so servers on 127.0.0.1 are still reached directly, while a
// request to a real host (dockerd's silent fallback to
// registry-1.docker.io, or a registry with a forgotten upstream flag) fails
// at once instead of reaching the internet from a machine that has it.
const deadProxy = "http://127.0.0.1:9"

// OfflineEnv is env with outbound HTTP(S) sent to deadProxy.
func OfflineEnv(env []string) []string {
	return append(env,
		"HTTP_PROXY="+deadProxy, "HTTPS_PROXY="+deadProxy,
		"http_proxy="+deadProxy, "https_proxy="+deadProxy,
		"NO_PROXY=", "no_proxy=")
}

// DropEnv returns env without the variables whose names start with any of
// prefixes.
func DropEnv(env []string, prefixes ...string) []string {
	var kept []string
	for _, kv := range env {
		if !hasAnyPrefix(kv, prefixes) {
			kept = append(kept, kv)
		}
	}
	return kept
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}
