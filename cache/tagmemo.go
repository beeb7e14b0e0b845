package cache

import "sync"

// tagMemoMaxBytes bounds the memo by bytes, counting a record as its key
// plus tagRecordCost (the Tag, its strings and the map slot). 32 MiB
// holds bench scenario 10's 100 k tags with room to spare: the former
// bound of 64 Ki entries made a run over 100 k tags start over every
// 64 Ki fills, a Badger read for ~14 % of tag GETs at every cache size.
// When full it starts over, which costs only Badger reads; the memory is
// used only as tags are read, never at idle.
const (
	tagMemoMaxBytes = 32 << 20
	tagRecordCost   = 200
)

// tagMemo keeps tag records in memory, so a warm manifest GET by tag pays
// no Badger transaction and no JSON decode: perf of bench scenario 4
// (wrk, 16 connections) put Store.Tag at 8.9% of hubmirror's samples, the
// largest part of its own work. Only SetTag writes tag keys, and nothing
// deletes them, so the memo is invalidated by SetTag alone.
type tagMemo struct {
	mu sync.RWMutex
	m  map[string]Tag
	// bytes is the memo's size as tagMemoMaxBytes counts it.
	bytes int
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
	if _, ok := t.m[key]; !ok {
		if t.bytes+len(key)+tagRecordCost > tagMemoMaxBytes {
			clear(t.m)
			t.bytes = 0
		}
		t.bytes += len(key) + tagRecordCost
	}
	t.m[key] = v
}
