package cache

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"slices"
	"sync"
	"time"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/sync/errgroup"
)

// evictChunk is how many digests one scan proposes and one transaction
// removes.
const evictChunk = 1000

// Evicted says what one eviction run removed.
type Evicted struct {
	Blobs int
	Bytes int64
	// PartialBytes is what removed partial fills held.
	PartialBytes int64
}

// Evict runs the evictor now. Partial fills older than the age limit go
// first; then, if usage (verified content and partial fills) is above the
// cap, the other idle partial fills, oldest first, and then least recently
// used content, until usage is at the low watermark. Pinned content and
// digests being filled are skipped. It returns once the evicted files are
// gone; the background evictor does not wait for that (evictPass).
func (s *Store) Evict() (Evicted, error) {
	got, err := s.evictPass()
	s.AwaitUnlinks()
	return got, err
}

// evictPass is Evict without waiting for the unlinker: the pass removes
// index records only, so it holds the maintenance lock briefly.
func (s *Store) evictPass() (Evicted, error) {
	s.maint.Lock()
	defer s.maint.Unlock()
	defer s.wakeUnlinker()
	got := Evicted{PartialBytes: s.dropIdlePartials(time.Now().Add(-s.opts.PartialMaxAge), 0)}
	if s.opts.MaxSize == 0 || s.total() <= s.opts.MaxSize {
		return got, nil
	}
	got.PartialBytes += s.dropIdlePartials(time.Time{}, s.total()-s.opts.LowWater)
	if s.total() <= s.opts.LowWater {
		return got, nil
	}
	blobs, err := s.evictTo(max(0, s.opts.LowWater-s.idlePartialBytes()))
	s.evictions.Add(int64(blobs.Blobs))
	got.Blobs, got.Bytes = blobs.Blobs, blobs.Bytes
	return got, err
}

// total is what counts against the cap: verified content other than
// hosted (cachedSize) and the partial fills no fill is writing. Evicted
// files awaiting the unlinker are already on their way out: counting
// them would evict twice for the same bytes (they stay in Used). Those being written are about to be content
// (or to be shelved, and count then); counting them would evict content
// for bytes that are on their way to replace nothing.
func (s *Store) total() int64 { return s.evictable() + s.idlePartialBytes() }

// evictable is cached content the evictor may still remove.
func (s *Store) evictable() int64 { return s.cachedSize() - s.doomedBytes.Load() }

// EvictTo removes idle partial fills, then least recently used content,
// pins and fills aside, until usage is at most target, whatever the cap:
// offline pruning. Hosted content is neither removed nor counted.
func (s *Store) EvictTo(target int64) (Evicted, error) {
	s.maint.Lock()
	defer s.maint.Unlock()
	partial := s.dropIdlePartials(time.Time{}, s.total()-target)
	got, err := s.evictTo(max(0, target-s.idlePartialBytes()))
	s.AwaitUnlinks() // a nearly full disk and offline pruning need the space now
	got.PartialBytes = partial
	s.evictions.Add(int64(got.Blobs))
	return got, err
}

// Evictions counts the digests evicted since the store was opened.
func (s *Store) Evictions() int64 { return s.evictions.Load() }

// testAfterWalk, set only by tests, runs between an eviction chunk's walk
// and its claim: where a write the pass must notice can land.
var testAfterWalk func()

// evictTo runs with s.maint held. Access times noted in memory are written
// first, so the LRU walk sees every read up to now; a read that lands
// during the run keeps its digest (claim skips it).
func (s *Store) evictTo(target int64) (Evicted, error) {
	s.unlinkTurn.Lock()
	defer s.unlinkTurn.Unlock()
	var got Evicted
	if err := s.flush(); err != nil {
		return got, err
	}
	writes := s.indexWrites.Load()
	pinned, err := s.keptSet()
	if err != nil {
		return got, err
	}
	from := []byte(accessPrefix)
	for s.evictable() > target {
		victims, next, err := s.scanLRU(from, s.evictable()-target, pinned)
		if err != nil {
			return got, err
		}
		if len(victims) == 0 {
			s.log.Warn("cache: cannot evict further, the rest is pinned or being filled",
				"used", s.evictable(), "target", target)
			return got, nil
		}
		if testAfterWalk != nil {
			testAfterWalk()
		}
		claimed, release := s.claim(victims, false)
		// Nothing but this pass wrote the index since the kept set and the
		// walk were read: every claimed record and hold is as the walk saw
		// it, and re-reading them (70 % of a pass over a million-blob
		// cache, BenchmarkEvict10PercentOf1M) can be skipped. A writer
		// that changed a victim left it (its in-flight mark, or its claim)
		// only after its transaction was counted, so the claim above,
		// which skips digests in flight or claimed, comes after the count.
		unchanged := s.indexWrites.Load() == writes
		n, err := s.removeVictims(claimed, unchanged)
		release()
		got.Blobs, got.Bytes = got.Blobs+n.Blobs, got.Bytes+n.Bytes
		if err != nil {
			return got, err
		}
		from = next
	}
	return got, nil
}

// remove deletes claimed digests: the file first, then the record. A crash
// in between leaves records without files, which start-up drops cheaply;
// the other order would leave files that start-up must re-hash.
func (s *Store) remove(claimed []victim) (Evicted, error) {
	live, stale, err := s.current(claimed)
	if err != nil {
		return Evicted{}, err
	}
	return s.removeRecords(live, stale, false)
}

// removeVictims is the eviction pass's remove; unchanged says the walk's
// view of the victims is still the index's.
func (s *Store) removeVictims(claimed []victim, unchanged bool) (Evicted, error) {
	if !unchanged {
		live, stale, err := s.current(claimed)
		if err != nil {
			return Evicted{}, err
		}
		return s.removeRecords(live, stale, true)
	}
	live := make(map[id]Meta, len(claimed))
	for _, v := range claimed {
		live[v.id] = Meta{Size: v.size, LastAccess: unixTime(v.at)}
	}
	return s.removeRecords(live, nil, true)
}

// removeRecords is remove, or with later the eviction pass's way: the
// records go with a tombstone each in one transaction, and the unlinker
// removes the files afterwards (unlink.go), their bytes counted in used
// until then. a/ keys the walk found stale (the record gone or accessed
// since) are dropped in the same transaction. Under the claim nothing
// else writes these records, so the transaction writes without reading.
func (s *Store) removeRecords(live map[id]Meta, stale [][]byte, later bool) (Evicted, error) {
	var got Evicted
	if !later {
		for _, i := range s.unlinkAll(live) {
			delete(live, i)
		}
	}
	files := make(map[id]int64, len(live))
	for i, m := range live {
		got.Blobs++
		got.Bytes += m.Size
		files[i] = m.Size
		s.hot.drop(i)
	}
	write := s.update
	if later {
		write = s.updateUncounted
	}
	err := write(func(txn *badger.Txn) error {
		for i, m := range live {
			if err := deleteMeta(txn, i, m); err != nil {
				return err
			}
			if later {
				if err := tombstone(txn, i, m.Size); err != nil {
					return err
				}
			}
		}
		for _, k := range stale {
			if err := txn.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Evicted{}, err
	}
	s.entries.Add(-int64(got.Blobs))
	if later {
		s.doom(files) // used drops as the unlinker removes them
		return got, nil
	}
	s.used.Add(-got.Bytes)
	return got, nil
}

// unlinkers is how many files eviction removes at once. An unlink mostly
// waits for the file system's journal, which other writers on the disk
// share; several at once share the waits.
const unlinkers = 64

// unlinkAll removes the files of live and returns those it could not
// remove, which keep their records. A file already gone is removed.
// Files go in digest order, which is blobs/ order: consecutive unlinks
// then share fan-out directories (and their block groups of inodes), so a
// journal commit carries fewer distinct blocks than in LRU order, which
// is random across directories. Passes of 5 % over a million-blob cache,
// interleaved: 71–89 µs per blob sorted, 97–119 unsorted (load 7–9).
func (s *Store) unlinkAll(live map[id]Meta) (failed []id) {
	var mu sync.Mutex
	var g errgroup.Group
	g.SetLimit(unlinkers)
	order := slices.SortedFunc(maps.Keys(live), func(a, b id) int { return bytes.Compare(a[:], b[:]) })
	for _, i := range order {
		s.hot.drop(i)
		g.Go(func() error {
			if err := os.Remove(s.blobPath(i)); err != nil && !errors.Is(err, fs.ErrNotExist) {
				s.log.Warn("cannot remove evicted blob", "digest", i.hash(), "error", err)
				mu.Lock()
				failed = append(failed, i)
				mu.Unlock()
			}
			return nil
		})
	}
	g.Wait()
	return failed
}

// current splits victims into records that are as the walk saw them (any
// record, for a victim with no access time) and a/ keys that are stale.
func (s *Store) current(victims []victim) (live map[id]Meta, stale [][]byte, err error) {
	live = make(map[id]Meta, len(victims))
	err = s.db.View(func(txn *badger.Txn) error {
		for _, v := range victims {
			m, ok, err := peekMeta(txn, v.id)
			if err != nil {
				return err
			}
			// Held since the walk began: hosted content is never evicted.
			if held, err := exists(txn, holdKey(v.id)); err != nil || held {
				if err != nil {
					return err
				}
				continue
			}
			switch {
			case ok && (v.at < 0 || m.LastAccess.UnixNano() == v.at):
				live[v.id] = m
			case v.key != nil:
				stale = append(stale, v.key)
			}
		}
		return nil
	})
	return live, stale, err
}
