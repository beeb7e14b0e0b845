package mirror

import (
	"sync"
	"time"

	"github.com/hubmirror/hubmirror/metrics"
)

// DefaultNegativeTTL is how long a "not found" from upstream is believed
// without asking again, when Options.NegativeTTL comes from the serve flag.
const DefaultNegativeTTL = 30 * time.Second

// maxNegatives bounds the memory a stream of typos can take; past it, new
// misses are simply not remembered.
const maxNegatives = 10000

// negatives remembers upstream's "not found" answers for a while, per
// registry: a missing repository (Hub's 401 after a fresh token, or
// NAME_UNKNOWN) and a missing tag for one Accept class (a 404 to one
// Accept may be a format refusal, not absence: see tagindex.go). A pod
// in ImagePullBackOff or a CI job polling for a tag then costs one
// upstream round per TTL instead of one per retry, and Hub counts
// manifest requests.
//
// Deadlines are kept from the mirror's clock with its monotonic reading,
// so a wall-clock jump neither revives nor prolongs an entry.
type negatives struct {
	ttl   time.Duration
	now   func() time.Time
	count *metrics.Metrics

	mu    sync.Mutex
	repos map[string]time.Time            // registry/repo → until
	tags  map[string]map[string]time.Time // registry/repo:tag → Accept class → until
	n     int
}

func newNegatives(ttl time.Duration, now func() time.Time, m *metrics.Metrics) *negatives {
	return &negatives{ttl: ttl, now: now, count: m, repos: map[string]time.Time{}, tags: map[string]map[string]time.Time{}}
}

// missing returns the remembered "not found" for a request about to go
// upstream, or nil. tag is "" for a request by digest.
func (n *negatives) missing(rt route, class string) error {
	if n.ttl <= 0 {
		return nil
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.now()
	if until, ok := n.repos[repoKeyOf(rt)]; ok && now.Before(until) {
		n.count.NegativeCache.WithLabelValues(metrics.NegativeRepo, metrics.NegativeHit).Inc()
		return apiErr(errNameUnknown, "repository not found upstream (checked less than %s ago)", n.ttl)
	}
	if rt.ref.isDigest() {
		return nil
	}
	if until, ok := n.tags[tagKeyOf(rt)][class]; ok && now.Before(until) {
		n.count.NegativeCache.WithLabelValues(metrics.NegativeTag, metrics.NegativeHit).Inc()
		return apiErr(errManifestUnknown, "manifest not found upstream (checked less than %s ago)", n.ttl)
	}
	return nil
}

// remember records err if it is upstream saying "not found".
func (n *negatives) remember(rt route, class string, err error) {
	if n.ttl <= 0 || causeOf(err) != causeNotFound {
		return
	}
	repoWide := classify(err, errManifestUnknown).code == errNameUnknown.code
	if !repoWide && rt.ref.isDigest() {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	if !n.roomLocked() {
		return
	}
	until := n.now().Add(n.ttl)
	if repoWide {
		n.set(n.repos, repoKeyOf(rt), until)
		n.count.NegativeCache.WithLabelValues(metrics.NegativeRepo, metrics.NegativeStored).Inc()
		return
	}
	k := tagKeyOf(rt)
	if n.tags[k] == nil {
		n.tags[k] = map[string]time.Time{}
	}
	n.set(n.tags[k], class, until)
	n.count.NegativeCache.WithLabelValues(metrics.NegativeTag, metrics.NegativeStored).Inc()
}

// set writes one deadline, counting it if it is new; callers hold mu.
func (n *negatives) set(m map[string]time.Time, k string, until time.Time) {
	if _, ok := m[k]; !ok {
		n.n++
	}
	m[k] = until
}

// roomLocked drops expired entries once the bound is reached, and says
// whether there is room for one more.
func (n *negatives) roomLocked() bool {
	if n.n < maxNegatives {
		return true
	}
	now := n.now()
	for k, until := range n.repos {
		if !now.Before(until) {
			delete(n.repos, k)
			n.n--
		}
	}
	for k, classes := range n.tags {
		for c, until := range classes {
			if !now.Before(until) {
				delete(classes, c)
				n.n--
			}
		}
		if len(classes) == 0 {
			delete(n.tags, k)
		}
	}
	return n.n < maxNegatives
}

// forget drops what is remembered of a repository and, if tag is set, of
// that tag in every Accept class.
func (n *negatives) forget(registry, repo, tag string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if _, ok := n.repos[registry+"/"+repo]; ok {
		delete(n.repos, registry+"/"+repo)
		n.n--
	}
	if tag != "" {
		k := registry + "/" + repo + ":" + tag
		n.n -= len(n.tags[k])
		delete(n.tags, k)
	}
}

// ForgetMissing clears the remembered "not found" of a repository of a
// registry and of one of its tags ("" for none), as a push that creates
// them must: the next request asks upstream (or the hosted store) again.
func (m *Mirror) ForgetMissing(registry, repo, tag string) {
	m.negatives.forget(registry, repo, tag)
}

func repoKeyOf(rt route) string { return rt.reg.Host + "/" + rt.repo }
func tagKeyOf(rt route) string  { return rt.reg.Host + "/" + rt.repo + ":" + rt.ref.tag }
