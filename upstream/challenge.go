package upstream

import (
	"net/http"
	"strings"
)

// challenge is one parsed WWW-Authenticate header.
type challenge struct {
	scheme string // lower case: "bearer" or "basic"
	params map[string]string
}

// parseChallenge reads the first challenge of a WWW-Authenticate header:
//
//	Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="…"
//
// Quoted values may contain commas and escaped quotes, so it is scanned, not
// split.
func parseChallenge(h http.Header) (challenge, bool) {
	v := strings.TrimSpace(h.Get("WWW-Authenticate"))
	scheme, rest, _ := strings.Cut(v, " ")
	if scheme == "" {
		return challenge{}, false
	}
	c := challenge{scheme: strings.ToLower(scheme), params: map[string]string{}}
	for rest = strings.TrimSpace(rest); rest != ""; {
		var key, val string
		key, val, rest = nextParam(rest)
		if key == "" {
			break
		}
		c.params[strings.ToLower(key)] = val
	}
	return c, true
}

// nextParam consumes `key=value` or `key="quoted value"` and a following comma.
func nextParam(s string) (key, val, rest string) {
	key, s, ok := strings.Cut(s, "=")
	if !ok {
		return "", "", ""
	}
	key = strings.TrimSpace(key)
	s = strings.TrimLeft(s, " ")
	if strings.HasPrefix(s, `"`) {
		val, s = scanQuoted(s[1:])
	} else {
		val, s, _ = strings.Cut(s, ",")
		val = strings.TrimSpace(val)
		return key, val, strings.TrimSpace(s)
	}
	_, s, _ = strings.Cut(s, ",")
	return key, val, strings.TrimSpace(s)
}

func scanQuoted(s string) (val, rest string) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), s[i+1:]
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String(), ""
}
