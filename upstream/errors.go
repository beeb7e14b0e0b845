package upstream

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

var (
	// ErrUnreachable wraps connection failures and timeouts: the upstream
	// could not be asked at all.
	ErrUnreachable = errors.New("upstream unreachable")
	// ErrDigestMismatch says upstream sent content that is not what it named.
	ErrDigestMismatch = errors.New("upstream content does not match its digest")
	// ErrRefusedHost says upstream pointed us at a host our policy refuses
	// (a private address other than the registry's own, see AllowPrivateNetworks).
	ErrRefusedHost = errors.New("upstream pointed at a refused host")
	// ErrTooLarge says a manifest exceeded maxManifestSize.
	ErrTooLarge = errors.New("upstream manifest too large")
	// ErrSchema1 says upstream answered with a Docker schema 1 manifest,
	// which the mirror does not serve (see isSchema1).
	ErrSchema1 = errors.New("upstream manifest is Docker schema 1")
	// ErrNoHeadDigest says a HEAD came back without a usable
	// Docker-Content-Digest, so it cannot tell whether a tag moved.
	ErrNoHeadDigest = errors.New("upstream HEAD carries no Docker-Content-Digest")
)

// StatusError is an upstream answer other than success, with the OCI error
// codes its body carried.
type StatusError struct {
	StatusCode int
	Codes      []string
	RetryAfter time.Duration
	Method     string
	URL        string
	// Challenge is a 401's WWW-Authenticate error= ("invalid_token",
	// "insufficient_scope"), if it named one.
	Challenge string
	// Storage is the host the registry redirected a blob request to (its
	// CDN), when that host gave the answer: the registry said the blob
	// exists by redirecting, so a 403 or 404 there (a signed URL expired,
	// storage out of step) is a fault, not "not found".
	Storage string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("upstream %s %s: %d %v", e.Method, e.URL, e.StatusCode, e.Codes)
}

// HasCode says whether the registry named this OCI error code.
func (e *StatusError) HasCode(code string) bool {
	for _, c := range e.Codes {
		if c == code {
			return true
		}
	}
	return false
}

// checkResponse turns an unsuccessful response into a *StatusError, reading
// (a bounded part of) its body; it closes the body in that case.
func checkResponse(resp *http.Response, ok ...int) error {
	for _, code := range ok {
		if resp.StatusCode == code {
			return nil
		}
	}
	defer resp.Body.Close()
	e := &StatusError{
		StatusCode: resp.StatusCode,
		Method:     resp.Request.Method,
		URL:        redactedURL(resp.Request),
		RetryAfter: parseRetryAfter(resp.Header.Get("Retry-After")),
		Challenge:  challengeError(resp),
	}
	var body struct {
		Errors []struct{ Code string } `json:"errors"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) == nil {
		for _, x := range body.Errors {
			e.Codes = append(e.Codes, x.Code)
		}
	}
	return e
}

// redactedURL drops the query, which on a CDN carries a signature.
func redactedURL(r *http.Request) string {
	u := *r.URL
	u.RawQuery = ""
	return u.String()
}

func parseRetryAfter(v string) time.Duration {
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil && secs >= 0 {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// IsNotFound says upstream does not have the thing or will not show it to us.
// Docker Hub answers 401 for a repository that is missing or private, so a
// 401 that survives a fresh token means "not found" to the client — unless
// it says invalid_token: then the registry rejected the token its own realm
// had just issued, a fault of upstream's (keys out of step, a realm of
// another registry), and calling it "not found" would hide it.
func IsNotFound(err error) bool {
	var se *StatusError
	if !errors.As(err, &se) {
		return false
	}
	if se.Storage != "" {
		return false
	}
	switch se.StatusCode {
	case http.StatusUnauthorized:
		return se.Challenge != "invalid_token"
	case http.StatusNotFound, http.StatusForbidden:
		return true
	}
	return false
}

// challengeError reads a 401's error= parameter.
func challengeError(resp *http.Response) string {
	if resp.StatusCode != http.StatusUnauthorized {
		return ""
	}
	ch, _ := parseChallenge(resp.Header)
	return ch.params["error"]
}
