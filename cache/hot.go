package cache

import (
	"container/list"
	"sync"
	"sync/atomic"
	"time"
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
	// used says a get found it since eviction last passed it: a hit only
	// sets this bit under the read lock, and eviction gives a used entry a
	// second round instead of moving hits to the front under a write
	// lock. perf's mutex profile of bench scenario 4 had the write lock of
	// every hit at 37 % of hubmirror's lock waits.
	used atomic.Bool
	// touched is when a hit last noted an access with the store (unix
	// ns): hits within touchEvery of it do not take the store's lock.
	touched atomic.Int64
}

// touchEvery is how stale a hot entry's access time may get. LRU order
// within a second does not matter to eviction, and every warm manifest hit
// taking the store's mutex to note its access was 56 % of hubmirror's
// remaining lock waits under bench scenario 4.
const touchEvery = int64(time.Second)

// touchDue says whether a hit at t should note its access with the store.
func (he *hotEntry) touchDue(t int64) bool {
	if t-he.touched.Load() < touchEvery {
		return false
	}
	he.touched.Store(t)
	return true
}

// hotSet is a byte-bounded set of small bodies, evicted least recently
// used first by the second-chance (CLOCK) approximation.
type hotSet struct {
	mu    sync.RWMutex
	order *list.List // front: newest, or given a second chance
	byID  map[id]*list.Element
	size  int
}

func newHotSet() *hotSet { return &hotSet{order: list.New(), byID: map[id]*list.Element{}} }

// entry is i's entry, marked used, or nil.
func (h *hotSet) entry(i id) *hotEntry {
	h.mu.RLock()
	defer h.mu.RUnlock()
	e, ok := h.byID[i]
	if !ok {
		return nil
	}
	he := e.Value.(*hotEntry)
	if !he.used.Load() { // a store only when it changes: no cache-line traffic on repeat hits
		he.used.Store(true)
	}
	return he
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
		back := h.order.Back()
		if he := back.Value.(*hotEntry); he.used.Load() && back != h.order.Front() {
			he.used.Store(false)
			h.order.MoveToFront(back)
			continue
		}
		h.removeLocked(back)
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
