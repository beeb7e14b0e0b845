package upstream

import (
	"net/http"
	"strings"
)

// nextLink returns the target of the rel="next" entry of the Link headers
// (RFC 8288), which registries use to page tag lists and referrers; "" if
// there is none. Targets are taken as written: relative, absolute, with
// whatever query the registry chose (Quay's opaque next_page).
func nextLink(h http.Header) string {
	for _, v := range h.Values("Link") {
		for rest := strings.TrimSpace(v); strings.HasPrefix(rest, "<"); {
			end := strings.IndexByte(rest, '>')
			if end < 0 {
				break
			}
			target, params := rest[1:end], rest[end+1:]
			// The parameters run to the next entry, which opens with '<'
			// (a URL cannot hold a raw '<', so this cannot split one).
			rest = ""
			if i := strings.IndexByte(params, '<'); i >= 0 {
				params, rest = params[:i], params[i:]
			}
			if relIsNext(params) {
				return target
			}
		}
	}
	return ""
}

// relIsNext reads `; rel="next"` (or rel=next, or a rel listing several
// relation types) out of one entry's parameters.
func relIsNext(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, v, ok := strings.Cut(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(p), ",")), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
			continue
		}
		for _, rel := range strings.Fields(strings.Trim(strings.TrimSpace(v), `"`)) {
			if strings.EqualFold(rel, "next") {
				return true
			}
		}
	}
	return false
}
