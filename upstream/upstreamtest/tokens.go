package upstreamtest

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"
)

// grant is what one issued token allows: pull on some repositories until
// expiry. A token that grants nothing is still valid, as on Hub.
type grant struct {
	repos   map[string]bool
	expires time.Time
}

type tokenState int

const (
	tokenMissing tokenState = iota // no Bearer header
	tokenInvalid                   // never issued, or expired
	tokenValid
)

// tokens remembers every issued token; they are opaque random strings because
// clients must never look inside Hub's.
type tokens struct {
	mu     sync.Mutex
	issued map[string]grant
}

func (t *tokens) init() { t.issued = map[string]grant{} }

func (t *tokens) issue(repos map[string]bool, ttl time.Duration) string {
	b := make([]byte, 24)
	rand.Read(b)
	tok := hex.EncodeToString(b)
	t.mu.Lock()
	t.issued[tok] = grant{repos: repos, expires: time.Now().Add(ttl)}
	t.mu.Unlock()
	return tok
}

func (t *tokens) lookup(tok string) (grant, tokenState) {
	if tok == "" {
		return grant{}, tokenMissing
	}
	t.mu.Lock()
	g, ok := t.issued[tok]
	t.mu.Unlock()
	if !ok || !time.Now().Before(g.expires) {
		return grant{}, tokenInvalid
	}
	return g, tokenValid
}
