package mirror

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// tokenPath is the realm of the Bearer challenge --anonymous-pull puts on
// /v2/ (login.go says why). It sits under /v2 so it reaches the API
// handler, and no repository route has this shape.
const tokenPath = "/v2/token"

// tokenLifetime is how long a token is honoured. Clients fetch a new one
// when it runs out, so this bounds only how long a token outlives a user
// removed from the htpasswd file.
const tokenLifetime = 15 * time.Minute

// MinTokenKeySize is the shortest Options.TokenKey: the size of the
// HMAC-SHA256 key a start-up makes, so a shared key is no easier to guess.
const MinTokenKeySize = 32

// tokenIssuer signs tokens with Options.TokenKey, or else a key made at
// start-up: then a restart invalidates them (the clients fetch new ones on
// the next 401), and no other replica accepts them.
type tokenIssuer struct{ key []byte }

func newTokenIssuer(key []byte) (*tokenIssuer, error) {
	if len(key) == 0 {
		key = make([]byte, MinTokenKeySize)
		rand.Read(key) // never fails (crypto/rand)
	}
	if len(key) < MinTokenKeySize {
		return nil, fmt.Errorf("token key of %d bytes: want at least %d random bytes", len(key), MinTokenKeySize)
	}
	return &tokenIssuer{key: key}, nil
}

// LoadTokenKey reads the key file replicas share (Options.TokenKey). Its
// bytes are the key as they are, a trailing newline included, so any
// file of MinTokenKeySize random bytes or more will do.
func LoadTokenKey(path string) ([]byte, error) {
	key, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	if len(key) < MinTokenKeySize {
		return nil, fmt.Errorf("%s holds %d bytes: want at least %d random bytes (head -c 32 /dev/urandom > %s)",
			path, len(key), MinTokenKeySize, path)
	}
	return key, nil
}

// A token is base64url("user\x00expiry-unix") "." base64url(HMAC of it);
// an anonymous token names the empty user.
func (ti *tokenIssuer) issue(user string, expires time.Time) string {
	payload := []byte(user + "\x00" + strconv.FormatInt(expires.Unix(), 10))
	enc := base64.RawURLEncoding
	return enc.EncodeToString(payload) + "." + enc.EncodeToString(ti.sign(payload))
}

func (ti *tokenIssuer) verify(token string, now time.Time) (user string, ok bool) {
	enc := base64.RawURLEncoding
	p, s, found := strings.Cut(token, ".")
	payload, err1 := enc.DecodeString(p)
	sig, err2 := enc.DecodeString(s)
	if !found || err1 != nil || err2 != nil || !hmac.Equal(sig, ti.sign(payload)) {
		return "", false
	}
	user, exp, _ := strings.Cut(string(payload), "\x00")
	unix, err := strconv.ParseInt(exp, 10, 64)
	return user, err == nil && now.Before(time.Unix(unix, 0))
}

func (ti *tokenIssuer) sign(payload []byte) []byte {
	mac := hmac.New(sha256.New, ti.key)
	mac.Write(payload)
	return mac.Sum(nil)
}

// bearerChallenge points at this mirror's token realm by the address the
// client used, so it works behind any name or port the LAN gives it, and
// behind a balancer by the name the balancer was called (origin).
func (m *Mirror) bearerChallenge(r *http.Request) string {
	scheme, host := m.opts.TrustedProxies.origin(r)
	return `Bearer realm="` + scheme + "://" + host + tokenPath + `",service="hubmirror"`
}

// serveToken answers the realm the way Docker Hub's does (GET, Basic
// credentials, scope ignored: a login may push to every hosted name).
// Wrong or missing credentials get an anonymous token rather than a 401:
// dockerd sends the user's Docker Hub credentials to a registry-mirrors
// mirror, and that pull must not fail. The login itself still fails, as
// the anonymous token is refused on /v2/.
func (m *Mirror) serveToken(w http.ResponseWriter, r *http.Request) {
	setRouteName(w, routeBase)
	if r.Method != http.MethodGet {
		writeError(w, errTokenMethod, errNotFound)
		return
	}
	var user string
	if u, pass, ok := r.BasicAuth(); ok && m.opts.Users.check(u, pass) {
		user = u
	}
	now := m.now()
	token := m.tokens.issue(user, now.Add(tokenLifetime))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(map[string]any{
		"token":        token,
		"access_token": token,
		"expires_in":   int(tokenLifetime.Seconds()),
		"issued_at":    now.UTC().Format(time.RFC3339),
	})
}
