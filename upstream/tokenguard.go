package upstream

import (
	"crypto/sha256"
	"log/slog"
	"net/http"
	"sync"
	"time"
)

// refusedPause is how long the mirror stops offering credentials the realm
// refused (401). Without it every uncached request would send the same bad
// password again, and a registry that counts failed logins locks the
// account; a rotated secret is tried at once, since the pause is for the
// refused one only.
const refusedPause = 15 * time.Second

// tokenObserver is the optional part of an Observer that counts failed
// token exchanges, by reason: refused, failing, malformed.
type tokenObserver interface{ TokenFailure(reason string) }

// tokenGuard remembers how the token realm last answered: it holds back
// credentials it just refused, logs each change of state once (an operator
// must notice the first refusal, and must not get one line per pull), and
// keeps the failure for Health.
type tokenGuard struct {
	now func() time.Time // nil: time.Now, whose monotonic reading ignores clock jumps
	log *slog.Logger
	obs Observer

	mu      sync.Mutex
	refused [sha256.Size]byte // the refused user and password, hashed so the secret is not kept twice
	until   time.Time
	failing string // the failure last logged; "" while tokens are issued
	since   time.Time
}

func (g *tokenGuard) clock() time.Time {
	if g.now != nil {
		return g.now()
	}
	return time.Now()
}

func accountKey(user, pass string) [sha256.Size]byte {
	return sha256.Sum256([]byte(user + "\x00" + pass))
}

// wait says how long these credentials are still held back, or 0.
func (g *tokenGuard) wait(user, pass string) time.Duration {
	if user == "" {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refused != accountKey(user, pass) {
		return 0
	}
	return max(g.until.Sub(g.clock()), 0)
}

// failed records an exchange that gave no token.
func (g *tokenGuard) failed(e *TokenError, pass string) {
	if o, ok := g.obs.(tokenObserver); ok {
		o.TokenFailure(e.reason())
	}
	state := e.Error()
	g.mu.Lock()
	if e.Status == http.StatusUnauthorized && e.User != "" {
		g.refused, g.until = accountKey(e.User, pass), g.clock().Add(refusedPause)
	}
	changed := state != g.failing
	if changed {
		g.failing, g.since = state, g.clock()
	}
	g.mu.Unlock()
	if changed {
		g.log.Error("upstream token service gives the mirror no token: uncached pulls fail until it does", "error", state)
	}
}

// issued records a token received, ending any failure.
func (g *tokenGuard) issued() {
	g.mu.Lock()
	was := g.failing
	g.failing, g.refused, g.until = "", [sha256.Size]byte{}, time.Time{}
	g.mu.Unlock()
	if was != "" {
		g.log.Info("upstream token service issues tokens again", "after", was)
	}
}

// state is the failure in force, for Health.
func (g *tokenGuard) state() (string, time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.failing, g.since
}
