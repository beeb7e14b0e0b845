package mirror

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hubmirror/hubmirror/cache"
)

// What a tag means, and what it answered one client.
//
// Upstream negotiates (distribution's GetManifest, and so Docker Hub): a
// Docker manifest list asked for by tag without the list type in Accept
// is answered with its linux/amd64 image, even if the OCI index type is
// accepted. That answer is for that Accept, not what the tag is; stored as
// the tag, it would hand every docker on the LAN one architecture's image.
// So the mirror keeps two kinds of record:
//
//   - the tag's meaning, in the cache's tag index: what upstream answers a
//     client that accepts every manifest type. Only an answer that cannot
//     have been substituted is written there: an index, or an answer to a
//     client that accepts both index types. It is revalidated with that
//     full Accept (meaningAccept), whoever asks.
//   - the answer for one Accept class (the client's accepted types, sorted),
//     for clients that are served something else: old tools that take no
//     index, or take one index type only. Those live in memory (classAnswers)
//     and are revalidated with the client's own Accept, so such a client
//     also costs at most one upstream GET per TTL and gets a stale answer
//     while upstream is down. They do not survive a restart; the first
//     request after one asks upstream again (or, if upstream is down, is
//     answered from the cached list: derive.go).
//
// A client is served the meaning whenever its type is acceptable to it:
// no registry substitutes a type the client accepts.

// meaningAccept is what the tag's meaning is asked and revalidated with.
var meaningAccept = defaultAccept

// tagEntry is one cached answer for a tag, and whose it is.
type tagEntry struct {
	t     cache.Tag
	class string // "" for the tag's meaning, else the Accept class it answered
}

// askFor is the Accept to revalidate e with on behalf of a client.
func (e tagEntry) askFor(accept []string) []string {
	if e.class == "" {
		return meaningAccept
	}
	return accept
}

// isMeaning says whether upstream's answer of type mt to a client accepting
// accept is what the tag is, rather than a stand-in chosen for that client.
func isMeaning(accept []string, mt string) bool {
	if types.MediaType(mt).IsIndex() {
		return true
	}
	return slices.Contains(accept, string(types.OCIImageIndex)) &&
		slices.Contains(accept, string(types.DockerManifestList))
}

// manifestTypes are the media types a registry can answer a manifest
// request with. Only these can change its answer, so only they tell Accept
// classes apart, which also bounds how many classes a client can invent.
var manifestTypes = []string{
	string(types.OCIImageIndex), string(types.DockerManifestList),
	string(types.OCIManifestSchema1), string(types.DockerManifestSchema2),
	string(types.DockerManifestSchema1), string(types.DockerManifestSchema1Signed),
	"application/vnd.oci.artifact.manifest.v1+json",
}

// acceptClass names the manifest types a client accepts independently of
// their order, repeats and anything else it lists, so clients that accept
// the same things share answers.
func acceptClass(accept []string) string {
	var in []string
	for _, mt := range manifestTypes {
		if slices.Contains(accept, mt) {
			in = append(in, mt)
		}
	}
	return strings.Join(in, ",")
}

// lookupTag finds the cached answer a client accepting accept may be given.
func (m *Mirror) lookupTag(rt route, accept []string) (tagEntry, bool) {
	if t, err := m.opts.Store.Tag(rt.reg.Host, rt.repo, rt.ref.tag); err == nil && acceptable(t.MediaType, accept) {
		return tagEntry{t: t}, true
	}
	class := acceptClass(accept)
	if t, ok := m.classes.get(classKey(rt, class)); ok && acceptable(t.MediaType, accept) {
		return tagEntry{t: t, class: class}, true
	}
	return tagEntry{}, false
}

// rereadTag is e as stored now, for a flight re-checking whether another
// one already refreshed it.
func (m *Mirror) rereadTag(rt route, e tagEntry) (cache.Tag, bool) {
	if e.class == "" {
		t, err := m.opts.Store.Tag(rt.reg.Host, rt.repo, rt.ref.tag)
		return t, err == nil
	}
	return m.classes.get(classKey(rt, e.class))
}

// storeTag records e's answer as fetched (or confirmed) now.
func (m *Mirror) storeTag(rt route, e tagEntry) error { return m.storeTagAt(rt, e, m.now()) }

// storeTagAt records e's answer as fetched at at. The meaning is written
// to disk, so its time is wall-clock UTC; its age is followed on the
// monotonic clock from now on (answerAges), which a clock jump cannot move.
func (m *Mirror) storeTagAt(rt route, e tagEntry, at time.Time) error {
	key := classKey(rt, e.class)
	if e.class == "" {
		e.t.FetchedAt = at.UTC()
		m.ages.stored(key, e.t.FetchedAt)
		return m.opts.Store.SetTag(rt.reg.Host, rt.repo, rt.ref.tag, e.t)
	}
	e.t.FetchedAt = at
	m.ages.stored(key, e.t.FetchedAt)
	m.classes.set(key, e.t)
	return nil
}

func classKey(rt route, class string) string {
	return rt.reg.Host + "/" + rt.repo + ":" + rt.ref.tag + "|" + class
}

// classAnswers holds per-Accept-class answers in memory, bounded: when
// full, an arbitrary entry goes, which costs its class one upstream GET.
type classAnswers struct {
	mu  sync.Mutex
	m   map[string]cache.Tag
	max int
}

// maxClassAnswers bounds the memory: old clients are few, and each entry is
// a digest and a time.
const maxClassAnswers = 10000

func newClassAnswers(max int) *classAnswers {
	return &classAnswers{m: map[string]cache.Tag{}, max: max}
}

func (c *classAnswers) get(key string) (cache.Tag, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[key]
	return t, ok
}

func (c *classAnswers) set(key string, t cache.Tag) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[key]; !ok && len(c.m) >= c.max {
		for k := range c.m {
			delete(c.m, k)
			break
		}
	}
	c.m[key] = t
}
