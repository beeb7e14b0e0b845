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
	errManifestInvalid = errorCode{"MANIFEST_INVALID", http.StatusBadRequest}
	errFormatRefused   = errorCode{"UNSUPPORTED", http.StatusBadRequest}
	errNoSpace         = errorCode{"UNAVAILABLE", http.StatusInsufficientStorage}

	// The write side, for hosted repositories.
	errUploadUnknown       = errorCode{"BLOB_UPLOAD_UNKNOWN", http.StatusNotFound}
	errUploadInvalid       = errorCode{"BLOB_UPLOAD_INVALID", http.StatusBadRequest}
	errRangeInvalid        = errorCode{"BLOB_UPLOAD_INVALID", http.StatusRequestedRangeNotSatisfiable}
	errManifestBlobUnknown = errorCode{"MANIFEST_BLOB_UNKNOWN", http.StatusBadRequest}
	errSizeInvalid         = errorCode{"SIZE_INVALID", http.StatusRequestEntityTooLarge}
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
	errTokenMethod   = apiErr(errUnsupported, "the token realm answers GET only")
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
		if se != nil && se.Storage != "" {
			return apiErr(errUnavailable, "upstream's blob storage %s failing (%d) and not cached", se.Storage, se.StatusCode)
		}
		if se != nil {
			return apiErr(errUnavailable, "upstream registry failing (%d) and not cached", se.StatusCode)
		}
		return apiErr(errUnavailable, "upstream registry unreachable and not cached")
	case causeUnexpected:
		if se.Storage != "" {
			return apiErr(errBadUpstream, "upstream's blob storage %s answered %d after the registry redirected there", se.Storage, se.StatusCode)
		}
		if se.Challenge == "invalid_token" {
			return apiErr(errBadUpstream, "upstream answered 401 invalid_token to the token its own realm had just issued")
		}
		return apiErr(errBadUpstream, "upstream answered %d", se.StatusCode)
	case causeCorrupt:
		return apiErr(errBadUpstream, "upstream sent content that does not match its digest")
	case causeRefused:
		return apiErr(errBadUpstream, "%v", err)
	case causeNotAcceptable:
		return apiErr(errManifestInvalid, "upstream has this tag only in forms the Accept header does not allow (a Docker manifest list takes application/vnd.docker.distribution.manifest.list.v2+json, or the schema 2 image given in its place)")
	case causeToken:
		return tokenFailure(err)
	case causeNoSpace:
		return apiErr(errNoSpace, "the mirror's disk is full: nothing was stored; try again once the operator frees space")
	case causeSchema1:
		return apiErr(errFormatRefused, "upstream serves this tag only as a Docker schema 1 manifest (application/vnd.docker.distribution.manifest.v1+prettyjws), which this mirror does not serve; docker 26+ and containerd 2 refuse it by default too: use a tag with a schema 2 or OCI manifest")
	}
	return apiErr(errInternal, "internal error")
}

// tokenFailure answers a token exchange that gave no token: 503 while the
// service is down or the mirror holds refused credentials back (with when
// to retry), else 502, the realm's answer being wrong for a mirror whose
// account should work. The message names the realm and the account, since
// the fix is the operator's.
func tokenFailure(err error) *apiError {
	var te *upstream.TokenError
	errors.As(err, &te)
	if te.Unavailable() {
		e := apiErr(errUnavailable, "%v", te)
		e.retryAfter = te.Wait
		return e
	}
	return apiErr(errBadUpstream, "%v", te)
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
