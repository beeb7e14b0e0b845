package mirror

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"syscall"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/upstream"
)

// Every kind of error the mirror meets, and what each reader of its cause
// makes of it: the client's answer, the fill_errors_total reason, and
// whether a stale manifest is served instead.
func TestErrorCauses(t *testing.T) {
	status := func(code int, codes ...string) error {
		return fmt.Errorf("fetching: %w", &upstream.StatusError{StatusCode: code, Codes: codes, RetryAfter: 3 * time.Second})
	}
	refused := fmt.Errorf("%w: 10.0.0.1 is a private address", upstream.ErrRefusedHost)
	tooLarge := fmt.Errorf("%w: library/x:1 is over 4 bytes", upstream.ErrTooLarge)
	checkCauses(t, []causeCase{
		{"offline", errOffline, 503, "UNAVAILABLE", "offline mode: not in the cache", "upstream", true},
		{"decided", errNotFoundPath, 404, "NOT_FOUND", "no such API endpoint", "local", false},
		{"denied", apiErr(errDenied, "no"), 403, "DENIED", "no", "local", false},
		{"upstream 404", status(404), 404, "MANIFEST_UNKNOWN", "not found upstream", "upstream", false},
		{"upstream 404 NAME_UNKNOWN", status(404, "NAME_UNKNOWN"), 404, "NAME_UNKNOWN", "not found upstream", "upstream", false},
		{"upstream 401", status(401), 404, "NAME_UNKNOWN", "not found upstream", "upstream", false},
		{"upstream 403", status(403), 404, "NAME_UNKNOWN", "not found upstream", "upstream", false},
		{"upstream 429", status(429), 429, "TOOMANYREQUESTS", "upstream rate limit reached and not cached", "upstream", true},
		{"upstream 500", status(500), 503, "UNAVAILABLE", "upstream registry failing (500) and not cached", "upstream", true},
		{"upstream 503", status(503), 503, "UNAVAILABLE", "upstream registry failing (503) and not cached", "upstream", true},
		{"upstream 400", status(400), 502, "UNKNOWN", "upstream answered 400", "upstream", false},
		{"upstream 400 MANIFEST_INVALID", status(400, "MANIFEST_INVALID"), 400, "MANIFEST_INVALID", classify(status(400, "MANIFEST_INVALID"), errManifestUnknown).message, "upstream", false},
		{"schema 1", fmt.Errorf("%w: library/old:1", upstream.ErrSchema1), 400, "UNSUPPORTED", classify(upstream.ErrSchema1, errManifestUnknown).message, "upstream", false},
		{"upstream 302", status(302), 502, "UNKNOWN", "upstream answered 302", "upstream", false},
		{"unreachable", fmt.Errorf("%w: dial: refused", upstream.ErrUnreachable), 503, "UNAVAILABLE", "upstream registry unreachable and not cached", "upstream", true},
		{"timeout", fmt.Errorf("blob: %w", context.DeadlineExceeded), 503, "UNAVAILABLE", "upstream registry unreachable and not cached", "upstream", true},
		{"digest mismatch", fmt.Errorf("%w: got x", upstream.ErrDigestMismatch), 502, "UNKNOWN", "upstream sent content that does not match its digest", "corrupt", false},
		{"corrupt", fmt.Errorf("%w: got 3 bytes", cache.ErrCorrupt), 502, "UNKNOWN", "upstream sent content that does not match its digest", "corrupt", false},
		{"refused host", refused, 502, "UNKNOWN", refused.Error(), "upstream", false},
		// Only manifests can be too large, and fills fetch blobs: the
		// reason is never counted.
		{"too large", tooLarge, 502, "UNKNOWN", tooLarge.Error(), "upstream", false},
		{"canceled", context.Canceled, 500, "UNKNOWN", "internal error", "local", false},
		{"not in cache", cache.ErrNotFound, 500, "UNKNOWN", "internal error", "local", false},
		{"fill failed", fmt.Errorf("%w: %v", cache.ErrAborted, upstream.ErrUnreachable), 500, "UNKNOWN", "internal error", "local", false},
		{"disk", errors.New("write /data: input/output error"), 500, "UNKNOWN", "internal error", "local", false},
	})
}

// Faults upstream or on our disk that a client must never read as "not
// found": the token service refusing the mirror's account or failing, a
// CDN refusing what the registry redirected to, a fresh token rejected,
// and a full disk.
func TestFaultsAreNeverNotFound(t *testing.T) {
	token := func(status int, err error, wait time.Duration) error {
		return fmt.Errorf("manifest: %w", &upstream.TokenError{Registry: "registry-1.docker.io", Realm: "https://auth.docker.io/token", User: "bot", Status: status, Err: err, Wait: wait})
	}
	const noSpace = "the mirror's disk is full: nothing was stored; try again once the operator frees space"
	const realm = "upstream registry-1.docker.io refused the mirror's credentials for user \"bot\" at https://auth.docker.io/token: "
	checkCauses(t, []causeCase{
		// An anonymous realm's 401 stays a plain *StatusError (GHCR's
		// answer for a private package): "upstream 401" above. A refusal
		// of the mirror's own account, or a failing realm, never is.
		{"credentials refused", token(401, nil, 0), 502, "UNKNOWN", realm + "401", "upstream", true},
		{"credentials forbidden", token(403, nil, 0), 502, "UNKNOWN", realm + "403", "upstream", true},
		{"credentials held back", token(401, nil, 15*time.Second), 503, "UNAVAILABLE", realm + "401 (not asked again for 15s, or until the credentials change)", "upstream", true},
		{"token service 503", token(503, nil, 0), 503, "UNAVAILABLE", `upstream registry-1.docker.io token service https://auth.docker.io/token is failing for user "bot": 503`, "upstream", true},
		{"token service unreachable", token(0, fmt.Errorf("%w: dial: refused", upstream.ErrUnreachable), 0), 503, "UNAVAILABLE", `upstream registry-1.docker.io token service https://auth.docker.io/token gave no token for user "bot": upstream unreachable: dial: refused`, "upstream", true},
		{"token malformed", token(0, upstream.ErrMalformedToken, 0), 502, "UNKNOWN", `upstream registry-1.docker.io token service https://auth.docker.io/token gave no token for user "bot": token realm's answer holds no token`, "upstream", true},
		{"CDN 403 after a redirect", fmt.Errorf("x: %w", &upstream.StatusError{StatusCode: 403, Storage: "cdn.example"}), 502, "UNKNOWN", "upstream's blob storage cdn.example answered 403 after the registry redirected there", "upstream", false},
		{"CDN 503 after a redirect", fmt.Errorf("x: %w", &upstream.StatusError{StatusCode: 503, Storage: "cdn.example"}), 503, "UNAVAILABLE", "upstream's blob storage cdn.example failing (503) and not cached", "upstream", true},
		{"fresh token rejected", fmt.Errorf("x: %w", &upstream.StatusError{StatusCode: 401, Challenge: "invalid_token"}), 502, "UNKNOWN", "upstream answered 401 invalid_token to the token its own realm had just issued", "upstream", false},
		{"disk full", &fs.PathError{Op: "write", Path: "/data/tmp/fill-1", Err: syscall.ENOSPC}, 507, "UNAVAILABLE", noSpace, "no_space", false},
		{"fill aborted on a full disk", fmt.Errorf("%w: %w", cache.ErrAborted, &fs.PathError{Op: "write", Path: "/data/tmp/fill-1", Err: syscall.ENOSPC}), 507, "UNAVAILABLE", noSpace, "no_space", false},
	})
}

type causeCase struct {
	what    string
	err     error
	status  int
	code    string
	message string
	reason  string
	stale   bool
}

func checkCauses(t *testing.T, cases []causeCase) {
	t.Helper()
	for _, c := range cases {
		ae := classify(c.err, errManifestUnknown)
		if ae.status != c.status || ae.code != c.code || ae.message != c.message {
			t.Errorf("%s: answered %d %s %q, want %d %s %q", c.what, ae.status, ae.code, ae.message, c.status, c.code, c.message)
		}
		if want := c.status == http.StatusTooManyRequests; (ae.retryAfter == 3*time.Second) != want {
			t.Errorf("%s: Retry-After %v", c.what, ae.retryAfter)
		}
		if got := fillErrorReason(c.err); got != c.reason {
			t.Errorf("%s: fill error reason %q, want %q", c.what, got, c.reason)
		}
		if got := servableStale(c.err); got != c.stale {
			t.Errorf("%s: serves stale %v, want %v", c.what, got, c.stale)
		}
	}
}
