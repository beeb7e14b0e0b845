package upstream

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// TokenError says the token realm gave the mirror no token. It is never
// "not found": Hub issues a token for a repository that is missing or
// private and lets the registry answer 401 insufficient_scope, so a realm's
// own 401 or 403 to the mirror's credentials means the account itself is
// refused (an expired or rotated password), and every uncached pull would
// fail the same way. Anonymous refusals stay plain *StatusErrors: GHCR's
// realm answers an anonymous request for a private package with 401, and
// that is the "not found" a client should see.
type TokenError struct {
	Registry string        // the registry's host
	Realm    string        // the token realm, without its query
	User     string        // the account sent; "" for anonymous
	Status   int           // the realm's HTTP status; 0 when none came
	Err      error         // what failed, when it was not a status
	Wait     time.Duration // > 0: not asked, since it refused these same credentials moments ago
}

// ErrMalformedToken says the realm answered 200 with no usable token.
var ErrMalformedToken = errors.New("token realm's answer holds no token")

func (e *TokenError) Error() string {
	who := "anonymous requests"
	if e.User != "" {
		who = fmt.Sprintf("user %q", e.User)
	}
	switch {
	case e.Refused():
		s := fmt.Sprintf("upstream %s refused the mirror's credentials for %s at %s: %d", e.Registry, who, e.Realm, e.Status)
		if e.Wait > 0 {
			s += fmt.Sprintf(" (not asked again for %s, or until the credentials change)", e.Wait.Round(time.Second))
		}
		return s
	case e.Status != 0:
		return fmt.Sprintf("upstream %s token service %s is failing for %s: %d", e.Registry, e.Realm, who, e.Status)
	}
	return fmt.Sprintf("upstream %s token service %s gave no token for %s: %v", e.Registry, e.Realm, who, e.Err)
}

func (e *TokenError) Unwrap() error { return e.Err }

// Refused says the realm said no to the credentials themselves.
func (e *TokenError) Refused() bool {
	return e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden
}

// Unavailable says the token service is down or holding the mirror off,
// rather than answering wrongly: worth a 503 and a retry later.
func (e *TokenError) Unavailable() bool {
	return e.Wait > 0 || e.Status >= 500 || e.Status == http.StatusTooManyRequests ||
		errors.Is(e.Err, ErrUnreachable) || errors.Is(e.Err, context.DeadlineExceeded)
}

// reason is the metrics label of a failed exchange: one of
// metrics.TokenFailureReasons, which this package cannot import.
func (e *TokenError) reason() string {
	switch {
	case e.Refused():
		return "refused"
	case e.Unavailable():
		return "failing"
	}
	return "malformed"
}
