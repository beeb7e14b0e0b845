package cache

import "sync"

// tagMemoMax bounds the memo: about 100 bytes a tag, so 64 Ki tags hold
// a few MiB. When full it starts over, which costs only Badger reads.
const tagMemoMax = 1 << 16

// tagMemo keeps tag records in memory, so a warm manifest GET by tag pays
// no Badger transaction and no JSON decode: perf of bench scenario 4
// (wrk, 16 connections) put Store.Tag at 8.9% of hubmirror's samples, the
// largest part of its own work. Only SetTag writes tag keys, and nothing
// deletes them, so the memo is invalidated by SetTag alone.
type tagMemo struct {
	mu sync.RWMutex
	m  map[string]Tag
	// writes counts SetTag calls that finished. A reader that missed
	// stores what it read only if none finished meanwhile: a SetTag that
	// committed during the read may have stored its value first, which
	// the reader's older one must not replace.
	writes uint64
}

func newTagMemo() *tagMemo { return &tagMemo{m: map[string]Tag{}} }

// get returns the memo's record for key, and the write count to hand to
// fill when it has none.
func (t *tagMemo) get(key []byte) (Tag, bool, uint64) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	v, ok := t.m[string(key)] // no allocation for a lookup
	return v, ok, t.writes
}

// fill stores what a reader read from the index, unless a SetTag
// finished since it called get.
func (t *tagMemo) fill(key string, v Tag, writes uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.writes == writes {
		t.store(key, v)
	}
}

// set records what SetTag just committed.
func (t *tagMemo) set(key string, v Tag) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.store(key, v)
	t.writes++
}

func (t *tagMemo) store(key string, v Tag) {
	if len(t.m) >= tagMemoMax {
		clear(t.m)
	}
	t.m[key] = v
}
