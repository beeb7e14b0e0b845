package upstream

import (
	"fmt"
	"sync"
	"time"
)

// Health is what the client last saw of its registry, for readiness
// reports and the status page. It is learnt from real traffic rather than
// probes, so watching it costs the registry nothing.
type Health struct {
	LastOK    time.Time // last answer that was not a server error
	LastError string    // the latest failure, if it came after LastOK
	LastErrAt time.Time
	// TokenError is why the token realm gives the mirror no token (its
	// credentials refused, or the service failing), since TokenErrorAt;
	// "" while it issues them. The registry may answer fine meanwhile,
	// so it is kept apart from Reachable.
	TokenError   string
	TokenErrorAt time.Time
}

// Reachable says the last contact succeeded (or none happened yet).
func (h Health) Reachable() bool { return h.LastErrAt.IsZero() || h.LastOK.After(h.LastErrAt) }

type healthState struct {
	mu sync.Mutex
	h  Health
}

func (s *healthState) ok() {
	s.mu.Lock()
	s.h.LastOK = time.Now()
	s.mu.Unlock()
}

func (s *healthState) fail(what string) {
	s.mu.Lock()
	s.h.LastError, s.h.LastErrAt = what, time.Now()
	s.mu.Unlock()
}

// Health returns what the client last saw of its registry.
func (c *Client) Health() Health {
	c.health.mu.Lock()
	h := c.health.h
	c.health.mu.Unlock()
	h.TokenError, h.TokenErrorAt = c.guard.state()
	return h
}

func (s *healthState) record(code int, err error) {
	switch {
	case err != nil:
		s.fail(err.Error())
	case code >= 500 || code == 429:
		s.fail(fmt.Sprintf("HTTP %d", code))
	default:
		s.ok()
	}
}
