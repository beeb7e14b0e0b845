package mirror

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hubmirror/hubmirror/upstream"
)

// The one place where causes become HTTP statuses and OCI error codes.
// Handlers return errors; causeOf (cause.go) says what went wrong, and
// only writeError decides what the client sees.

// errorCode is an OCI distribution-spec error code with its HTTP status.
type errorCode struct {
	code   string
	status int
}

var (
	errNameInvalid     = errorCode{"NAME_INVALID", http.StatusBadRequest}
	errTagInvalid      = errorCode{"TAG_INVALID", http.StatusBadRequest}
	errDigestInvalid   = errorCode{"DIGEST_INVALID", http.StatusBadRequest}
	errNameUnknown     = errorCode{"NAME_UNKNOWN", http.StatusNotFound}
	errManifestUnknown = errorCode{"MANIFEST_UNKNOWN", http.StatusNotFound}
	errBlobUnknown     = errorCode{"BLOB_UNKNOWN", http.StatusNotFound}
	errDenied          = errorCode{"DENIED", http.StatusForbidden}
	errUnsupported     = errorCode{"UNSUPPORTED", http.StatusMethodNotAllowed}
	errNotFound        = errorCode{"NOT_FOUND", http.StatusNotFound}
	errTooMany         = errorCode{"TOOMANYREQUESTS", http.StatusTooManyRequests}
	errUnavailable     = errorCode{"UNAVAILABLE", http.StatusServiceUnavailable}
	errBadUpstream     = errorCode{"UNKNOWN", http.StatusBadGateway}
	errInternal        = errorCode{"UNKNOWN", http.StatusInternalServerError}
	errUnauthorized    = errorCode{"UNAUTHORIZED", http.StatusUnauthorized}
	errPageSizeInvalid = errorCode{"PAGINATION_NUMBER_INVALID", http.StatusBadRequest}
)

// apiError is an error already decided: a code and a message for the client.
type apiError struct {
	errorCode
	message    string
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

func apiErr(c errorCode, format string, args ...any) *apiError {
	return &apiError{errorCode: c, message: fmt.Sprintf(format, args...)}
}

var (
	// errFillIdle ends a fill that wrote nothing for the idle timeout: an
	// upstream outage (503), whatever its pieces' own retries did.
	errFillIdle = fmt.Errorf("%w: blob download made no progress for the fill idle timeout", upstream.ErrUnreachable)
)

var (
	errNotFoundPath  = apiErr(errNotFound, "no such API endpoint")
	errWriteRejected = apiErr(errUnsupported, "this mirror is read-only: pushes and deletes go to the upstream registry")
)

// classify maps any error to what the client is told: the status table
// over causeOf. notFound is the code for "upstream does not have it" on
// this route (manifest, blob, name).
func classify(err error, notFound errorCode) *apiError {
	var ae *apiError
	if errors.As(err, &ae) {
		return ae // decided where it was raised, offline mode included
	}
	var se *upstream.StatusError
	errors.As(err, &se) // the details some messages quote
	switch causeOf(err) {
	case causeNotFound:
		if se.HasCode(errNameUnknown.code) || se.StatusCode != http.StatusNotFound {
			notFound = errNameUnknown
		}
		return apiErr(notFound, "not found upstream")
	case causeRateLimited:
		e := apiErr(errTooMany, "upstream rate limit reached and not cached")
		e.retryAfter = se.RetryAfter
		return e
	case causeUnavailable:
		if se != nil {
			return apiErr(errUnavailable, "upstream registry failing (%d) and not cached", se.StatusCode)
		}
		return apiErr(errUnavailable, "upstream registry unreachable and not cached")
	case causeUnexpected:
		return apiErr(errBadUpstream, "upstream answered %d", se.StatusCode)
	case causeCorrupt:
		return apiErr(errBadUpstream, "upstream sent content that does not match its digest")
	case causeRefused:
		return apiErr(errBadUpstream, "%v", err)
	}
	return apiErr(errInternal, "internal error")
}

// writeError sends err in the distribution spec's JSON error form.
func writeError(w http.ResponseWriter, err error, notFound errorCode) {
	ae := classify(err, notFound)
	noteError(w, err)
	h := w.Header()
	h.Del("Content-Length")
	h.Set("Content-Type", "application/json")
	if ae.retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int((ae.retryAfter+time.Second-1)/time.Second)))
	}
	w.WriteHeader(ae.status)
	json.NewEncoder(w).Encode(errorBody(ae))
}

type wireError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Detail  any    `json:"detail"`
}

func errorBody(ae *apiError) map[string][]wireError {
	return map[string][]wireError{"errors": {{Code: ae.code, Message: ae.message}}}
}
