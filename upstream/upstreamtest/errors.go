package upstreamtest

import (
	"encoding/json"
	"net/http"
)

// regError is one entry of the distribution spec's error body. Status codes
// are chosen here and nowhere else.
type regError struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"message"`
	// Detail is always present, as null, because that is what Hub sends.
	Detail any `json:"detail"`
}

var (
	errUnauthorized    = regError{http.StatusUnauthorized, "UNAUTHORIZED", "authentication required", nil}
	errManifestUnknown = regError{http.StatusNotFound, "MANIFEST_UNKNOWN", "manifest unknown", nil}
	errBlobUnknown     = regError{http.StatusNotFound, "BLOB_UNKNOWN", "blob unknown to registry", nil}
	errDigestInvalid   = regError{http.StatusBadRequest, "DIGEST_INVALID", "provided digest did not match uploaded content", nil}
	errNotFound        = regError{http.StatusNotFound, "NOT_FOUND", "not found", nil}
	errUnsupported     = regError{http.StatusMethodNotAllowed, "UNSUPPORTED", "The operation is unsupported.", nil}
	errPagination      = regError{http.StatusBadRequest, "PAGINATION_NUMBER_INVALID", "invalid number of results requested", nil}
)

// faultError is the body an injected failure carries, so clients see the
// same codes Hub uses for that status.
func faultError(status int) regError {
	switch status {
	case http.StatusTooManyRequests:
		return regError{status, "TOOMANYREQUESTS", "You have reached your pull rate limit.", nil}
	case http.StatusUnauthorized:
		return errUnauthorized
	case http.StatusForbidden:
		return regError{status, "DENIED", "requested access to the resource is denied", nil}
	case http.StatusNotFound:
		return errNotFound
	case http.StatusServiceUnavailable:
		return regError{status, "UNAVAILABLE", "service unavailable", nil}
	}
	return regError{status, "UNKNOWN", http.StatusText(status), nil}
}

// writeError sends e as JSON and counts it if it is a 401.
func (h *Hub) writeError(w http.ResponseWriter, e regError) {
	if e.Status == http.StatusUnauthorized {
		h.count.unauthorized.Add(1)
	}
	body := struct {
		Errors []regError `json:"errors"`
	}{[]regError{e}}
	writeJSON(w, e.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // only our own types are marshalled
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", itoa(int64(len(b))))
	w.WriteHeader(status)
	w.Write(b)
}
