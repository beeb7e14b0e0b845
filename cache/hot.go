package cache

import (
	"container/list"
	"sync"
)

// Small content (manifests) is served from memory once read: a warm pull
// by tag is a manifest read, and reading a file costs ten system calls
// where a map lookup costs none (bench scenario 4: 14k → 22k requests/s).
// Content under a digest never changes, so a copy can only go stale by
// being evicted, and eviction drops it here too.
//
// The budget holds bench scenario 10's 100 k manifests (43 MB of bodies,
// 60 MB with their entries): at 8 MiB a million-blob cache read a third of
// its warm tag GETs from disk. It is memory used only as manifests are
// read, never at idle.
const (
	hotMaxItem  = 64 << 10
	hotMaxTotal = 64 << 20
	// hotEntryCost is what an entry costs besides its body: the entry,
	// its list element and its map slot. The budget counts it, so many
	// tiny bodies cannot hold more memory than large ones.
	hotEntryCost = 160
)

type hotEntry struct {
	id   id
	body []byte
	meta Meta
}

// hotSet is a byte-bounded LRU of small bodies.
type hotSet struct {
	mu    sync.Mutex
	order *list.List // front: most recently used
	byID  map[id]*list.Element
	size  int
}

func newHotSet() *hotSet { return &hotSet{order: list.New(), byID: map[id]*list.Element{}} }

func (h *hotSet) get(i id) ([]byte, Meta, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	e, ok := h.byID[i]
	if !ok {
		return nil, Meta{}, false
	}
	h.order.MoveToFront(e)
	he := e.Value.(*hotEntry)
	return he.body, he.meta, true
}

func (h *hotSet) put(i id, body []byte, meta Meta) {
	if len(body) > hotMaxItem {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.byID[i]; ok {
		return
	}
	h.byID[i] = h.order.PushFront(&hotEntry{id: i, body: body, meta: meta})
	h.size += len(body) + hotEntryCost
	for h.size > hotMaxTotal {
		h.removeLocked(h.order.Back())
	}
}

func (h *hotSet) drop(i id) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if e, ok := h.byID[i]; ok {
		h.removeLocked(e)
	}
}

func (h *hotSet) removeLocked(e *list.Element) {
	he := h.order.Remove(e).(*hotEntry)
	delete(h.byID, he.id)
	h.size -= len(he.body) + hotEntryCost
}
