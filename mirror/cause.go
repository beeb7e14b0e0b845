package mirror

import (
	"context"
	"errors"
	"net/http"
	"syscall"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream"
)

// cause is what went wrong, in the terms the mirror acts on. Three readers
// need it — writeError's status table, the fill_errors_total{reason} label
// and the choice to serve a stale manifest — and causeOf is the only place
// that looks inside an error to find it, so they cannot drift apart.
type cause int

const (
	causeLocal         cause = iota // our disk, our bug, a client gone: whatever is not named below
	causeDecided                    // an *apiError: its code was chosen where it was raised
	causeNotFound                   // upstream has not got it, or will not show it to us
	causeRateLimited                // upstream answered 429
	causeUnavailable                // upstream unreachable, failing (5xx) or too slow; or we are offline
	causeUnexpected                 // upstream answered a status that means nothing to a client
	causeCorrupt                    // content did not match its digest or size
	causeRefused                    // upstream pointed at a host we refuse, sent a manifest too large or an unreadable answer
	causeNotAcceptable              // upstream has it, but in no form the client's Accept allows
	causeSchema1                    // upstream has it only as a Docker schema 1 manifest
	causeToken                      // the token realm refused the mirror's credentials or failed: never "not found"
	causeNoSpace                    // our disk is full: nothing can be stored until space returns
)

func causeOf(err error) cause {
	var ae *apiError
	var se *upstream.StatusError
	var te *upstream.TokenError
	switch {
	case errors.Is(err, errOffline):
		// Decided (503 with its own message), but for the metric and the
		// stale cache it is what it says: no upstream to ask.
		return causeUnavailable
	case errors.As(err, &ae):
		return causeDecided
	case errors.Is(err, syscall.ENOSPC):
		// Whatever else the error says (a fill aborted, an upload cut
		// short): the operator's fix is disk space.
		return causeNoSpace
	case errors.As(err, &te):
		// Before the ErrUnreachable it may wrap: the message must name
		// the token service and the account, not just "unreachable".
		return causeToken
	case errors.As(err, &se):
		return statusCause(se)
	case errors.Is(err, upstream.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		return causeUnavailable
	case errors.Is(err, upstream.ErrDigestMismatch), errors.Is(err, cache.ErrCorrupt):
		return causeCorrupt
	case errors.Is(err, upstream.ErrRefusedHost), errors.Is(err, upstream.ErrTooLarge),
		errors.Is(err, upstream.ErrMalformedReferrers):
		return causeRefused
	case errors.Is(err, upstream.ErrSchema1):
		return causeSchema1
	}
	return causeLocal
}

// hostedError decides what a client of a hosted repository is told about
// the store's answer: there is no upstream to blame, so content that does
// not match is the client's (DIGEST_INVALID, nothing was stored), and a
// manifest naming content that is absent is MANIFEST_BLOB_UNKNOWN, and
// anything else absent is notFound: not a cache miss, as on the read side
// (where it would be our bug), but the answer.
func hostedError(err error, notFound errorCode) error {
	var missing *cache.MissingError
	switch {
	case errors.As(err, &missing):
		return apiErr(errManifestBlobUnknown, "%v", missing)
	case errors.Is(err, cache.ErrNotFound):
		return apiErr(notFound, "not found in this hosted repository")
	case errors.Is(err, cache.ErrCorrupt), errors.Is(err, cache.ErrUnsupportedDigest):
		return apiErr(errDigestInvalid, "%v; nothing was stored", err)
	}
	return err
}

func statusCause(se *upstream.StatusError) cause {
	switch {
	case upstream.IsNotFound(se):
		return causeNotFound
	case se.StatusCode == http.StatusTooManyRequests:
		return causeRateLimited
	case se.StatusCode >= 500:
		return causeUnavailable
	case se.StatusCode == http.StatusBadRequest && se.HasCode(errManifestInvalid.code):
		// Hub's answer to a client that takes neither a manifest list
		// nor the schema 2 image it would be given instead.
		return causeNotAcceptable
	}
	return causeUnexpected
}

// fillReason is the fill_errors_total{reason} label: whether a failed
// download was upstream's doing, bad content, or ours.
func (c cause) fillReason() string {
	switch c {
	case causeCorrupt:
		return metrics.ReasonCorrupt
	case causeLocal, causeDecided:
		return metrics.ReasonLocal
	case causeNoSpace:
		return metrics.ReasonNoSpace
	}
	return metrics.ReasonUpstream
}

// servesStale says the failure is an outage or a rate limit, when the last
// known answer beats failing, rather than a definite "no".
func (c cause) servesStale() bool {
	return c == causeRateLimited || c == causeUnavailable || c == causeToken
}

// lacksReferrersAPI says upstream has no referrers endpoint, which is not
// an answer about the subject: the mirror then reads the tag schema.
func lacksReferrersAPI(err error) bool {
	return errors.Is(err, upstream.ErrNoReferrersAPI)
}
