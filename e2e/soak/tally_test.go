package soak

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// tally counts everything the run did and saw. Outcomes are by request kind
// ("blob GET", "upload PATCH") and result: "ok", "error 503" (a clean OCI
// error), "aborted" (the connection failed or was cut), "cancelled" (the
// run ended it), and the two that fail the soak, "WRONG" (bytes that do
// not check out) and "unclean" (an error without an OCI body).
type tally struct {
	mu       sync.Mutex
	outcomes map[string]map[string]int64
	wrong    []string // the first few wrong bodies, described
	events   map[string]int64

	servedBytes atomic.Int64 // body bytes clients read from the mirror
}

func newTally() *tally {
	return &tally{outcomes: map[string]map[string]int64{}, events: map[string]int64{}}
}

// maxWrongKept bounds the descriptions a broken run keeps for its report.
const maxWrongKept = 20

func (t *tally) outcome(kind, result string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	m := t.outcomes[kind]
	if m == nil {
		m = map[string]int64{}
		t.outcomes[kind] = m
	}
	m[result]++
}

// wrongBody records bytes a client must never have been given.
func (t *tally) wrongBody(kind, format string, args ...any) {
	t.outcome(kind, resultWrong)
	t.note(kind, format, args...)
}

// note keeps the first few descriptions of what failed the soak, for its
// report.
func (t *tally) note(kind, format string, args ...any) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.wrong) < maxWrongKept {
		t.wrong = append(t.wrong, kind+": "+fmt.Sprintf(format, args...))
	}
}

// event counts one thing the harness did or noticed: a kill, a fault, a
// lost image.
func (t *tally) event(name string, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events[name] += n
}

func (t *tally) eventCount(name string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.events[name]
}

// The kinds of request on upstream content, as the report names them.
const (
	kindManifestGet  = "manifest GET"
	kindManifestHead = "manifest HEAD"
	kindBlobGet      = "blob GET"
	kindBlobHead     = "blob HEAD"
	kindBlobRange    = "blob GET Range"
	kindBlobLeft     = "blob GET, left"
	kindTagsList     = "tags list"
	kindReferrers    = "referrers"
)

const (
	resultOK        = "ok"
	resultWrong     = "WRONG"
	resultUnclean   = "unclean"
	resultAborted   = "aborted"
	resultCancelled = "cancelled"
	// resultUnverifiedPart is a 206 of a part of a blob on a miss, or the
	// prefix a leaving client read of a 200, that carried the Hub's corrupt
	// bytes: served before the digest could be checked, by design; not a
	// complete-looking body, so not WRONG.
	resultUnverifiedPart = "corrupt part passed through"
)

// count returns how many outcomes of any kind had result.
func (t *tally) count(result string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for _, m := range t.outcomes {
		n += m[result]
	}
	return n
}

// resultCount is how many outcomes of kind had result.
func (t *tally) resultCount(kind, result string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.outcomes[kind][result]
}

// clientErrors is how many answers to kind were 4xx other than 429: for
// a request that can only be right (a manifest PUT naming blobs whose
// uploads were acknowledged), each is the mirror's mistake.
func (t *tally) clientErrors(kind string) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for result, c := range t.outcomes[kind] {
		if strings.HasPrefix(result, "error 4") && result != "error 429" {
			n += c
		}
	}
	return n
}

// requestLines renders the outcomes, one line per kind.
func (t *tally) requestLines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	for _, kind := range slices.Sorted(maps.Keys(t.outcomes)) {
		m := t.outcomes[kind]
		var total int64
		var parts []string
		for _, r := range slices.Sorted(maps.Keys(m)) {
			total += m[r]
			parts = append(parts, fmt.Sprintf("%s %d", r, m[r]))
		}
		lines = append(lines, fmt.Sprintf("  %-18s %7d  (%s)", kind, total, strings.Join(parts, ", ")))
	}
	return lines
}

func (t *tally) eventLines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var lines []string
	for _, name := range slices.Sorted(maps.Keys(t.events)) {
		lines = append(lines, fmt.Sprintf("  %-28s %d", name, t.events[name]))
	}
	return lines
}
