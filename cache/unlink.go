package cache

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/sync/errgroup"
)

// An eviction pass removes index records and leaves the files to the
// unlinker: bench scenario 10 measured one pass of 10 % of a million
// blobs at 41 s, 80 % of it unlink(2) waiting on the ext4 journal, all of
// it holding the maintenance lock. Now the pass writes, in the transaction
// that deletes a digest's records, a tombstone u/<id> → its size, and the
// unlinker removes the file and then the tombstone. Until then:
//   - the bytes stay counted in used (the disk still holds them), and the
//     evictor's target subtracts them, so a pass does not evict twice;
//   - nothing serves the digest: the index no longer names it, and Open
//     refuses it while it awaits unlinking;
//   - a fill of the digest unlinks the old file itself before it
//     publishes (awaitEviction), so a late unlink never removes new content.
//
// A crash leaves tombstones: Open loads them before reconciling, so their
// files are neither adopted (re-hashed) nor counted as content, and the
// unlinker finishes them. A clean Close leaves them too, counted out of
// the marker's total and back in at Open.

// unlinkPrefix keys tombstones: u/<id> → uvarint size of the file.
const unlinkPrefix = "u/"

func unlinkKey(i id) []byte { return append([]byte(unlinkPrefix), i[:]...) }

// testUnlinkGate, set only by tests (export_test.go), is the gate Open
// gives a new store's unlinker.
var testUnlinkGate chan struct{}

// unlinkBatch is how many files the unlinker removes per tombstone
// transaction.
const unlinkBatch = 1000

// doomed is a file whose records are gone and which awaits unlinking.
type doomed struct {
	size  int64
	taken bool // an unlink of it is under way, or failed
	// failed: the unlink failed; only the next start or a fill tries again.
	failed bool
	done   chan struct{} // closed when the file is gone, or the unlink failed
}

// tombstone writes, in txn, that i's file (size bytes) is to be unlinked.
func tombstone(txn *badger.Txn, i id, size int64) error {
	return txn.Set(unlinkKey(i), binary.AppendUvarint(nil, uint64(size)))
}

// doom queues files whose tombstones committed for the unlinker, in
// digest order (blobs/ order: consecutive unlinks share fan-out
// directories, so a journal commit carries fewer distinct blocks).
func (s *Store) doom(files map[id]int64) {
	s.mu.Lock()
	for _, i := range slices.SortedFunc(maps.Keys(files), func(a, b id) int { return bytes.Compare(a[:], b[:]) }) {
		if _, ok := s.doomed[i]; !ok {
			s.doomed[i] = &doomed{size: files[i], done: make(chan struct{})}
			s.doomedBytes.Add(files[i])
			s.unlinkQueue = append(s.unlinkQueue, i)
		}
	}
	s.mu.Unlock()
}

// wakeUnlinker starts the unlinker on what is queued. The evictor wakes it
// at the end of its pass, not per chunk: unlinks during the pass would
// share the journal with the pass's own index writes.
func (s *Store) wakeUnlinker() {
	select {
	case s.unlinkWake <- struct{}{}:
	default:
	}
}

// unlinker is the goroutine that removes doomed files in queue order.
func (s *Store) unlinker() {
	defer close(s.unlinkDone)
	for {
		select {
		case <-s.stop:
			return
		case <-s.unlinkWake:
		}
		if s.unlinkGate != nil { // tests hold the unlinker here
			select {
			case <-s.unlinkGate:
			case <-s.stop:
				return
			}
		}
		start, files := time.Now(), 0
		for n := s.unlinkSome(); n > 0; n = s.unlinkSome() {
			files += n
			select {
			case <-s.stop:
				return
			default:
			}
		}
		if files > 0 {
			s.log.Info("cache: unlinked evicted files", "files", files, "took", time.Since(start))
		}
	}
}

// unlinkSome removes up to unlinkBatch doomed files and returns how many
// it tried. It waits for an eviction pass under way: a restart after a
// pass finds its files still doomed, and unlinking them during the next
// pass, whose index writes share the journal with the unlinks, made that
// pass three times slower (bench scenario 10, rounds 2 and 3).
func (s *Store) unlinkSome() int {
	s.unlinkTurn.Lock()
	defer s.unlinkTurn.Unlock()
	s.mu.Lock()
	var batch []id
	k := 0
	for ; k < len(s.unlinkQueue) && len(batch) < unlinkBatch; k++ {
		i := s.unlinkQueue[k]
		if d, ok := s.doomed[i]; ok && !d.taken {
			d.taken = true
			batch = append(batch, i)
		}
	}
	if s.unlinkQueue = s.unlinkQueue[k:]; len(s.unlinkQueue) == 0 {
		s.unlinkQueue = nil // let the backing array go
	}
	s.mu.Unlock()
	if len(batch) == 0 {
		return 0
	}
	var g errgroup.Group
	g.SetLimit(unlinkers)
	gone := make([]bool, len(batch))
	for k, i := range batch {
		g.Go(func() error {
			gone[k] = s.unlinkFile(i)
			return nil
		})
	}
	g.Wait()
	var done []id
	for k, i := range batch {
		if gone[k] {
			done = append(done, i)
		} else {
			s.retryLater(i) // kept: its tombstone stays for the next start
		}
	}
	s.buried(done)
	return len(batch)
}

// unlinkFile removes i's file; false if it could not.
func (s *Store) unlinkFile(i id) bool {
	err := os.Remove(s.blobPath(i))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		s.log.Warn("cannot remove evicted blob", "digest", i.hash(), "error", err)
		return false
	}
	return true
}

// buried deletes the tombstones of files now gone and stops counting them.
func (s *Store) buried(ids []id) {
	if len(ids) == 0 {
		return
	}
	err := s.update(func(txn *badger.Txn) error {
		for _, i := range ids {
			if err := txn.Delete(unlinkKey(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// The files are gone; the next start drops tombstones of missing files.
		s.log.Warn("cache: deleting tombstones of unlinked files", "error", err)
	}
	s.mu.Lock()
	for _, i := range ids {
		if d, ok := s.doomed[i]; ok {
			delete(s.doomed, i)
			s.used.Add(-d.size)
			s.doomedBytes.Add(-d.size)
			if !d.failed {
				close(d.done)
			}
		}
	}
	s.mu.Unlock()
}

// retryLater leaves a file the unlinker could not remove doomed (its
// tombstone stays, its bytes counted); the next start tries again.
func (s *Store) retryLater(i id) {
	s.mu.Lock()
	if d, ok := s.doomed[i]; ok && !d.failed {
		d.failed = true
		close(d.done)
	}
	s.mu.Unlock()
}

// unlinkNow removes i's doomed file before a fill publishes a new one: at
// once if the unlinker has not taken it, else when the unlinker is done.
// A file it cannot remove is buried all the same: the fill's rename
// replaces it, and a later unlink must not remove the new content.
func (s *Store) unlinkNow(i id) {
	s.mu.Lock()
	d, ok := s.doomed[i]
	if !ok {
		s.mu.Unlock()
		return
	}
	mine := !d.taken || d.failed
	d.taken = true
	s.mu.Unlock()
	if !mine {
		<-d.done // bounded by one batch of the unlinker's
		return
	}
	s.unlinkFile(i)
	s.buried([]id{i})
}

// isDoomedNow says whether i awaits unlinking.
func (s *Store) isDoomedNow(i id) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.doomed[i]
	return ok
}

// AwaitUnlinks waits until the evicted files awaiting the unlinker are gone
// (or could not be removed): offline pruning and a nearly full disk need
// the space now, and a check of Used against blobs/ needs them settled.
func (s *Store) AwaitUnlinks() {
	for s.unlinkSome() > 0 {
	}
	s.mu.Lock()
	var pending []chan struct{}
	for _, d := range s.doomed {
		pending = append(pending, d.done) // the unlinker's batch under way
	}
	s.mu.Unlock()
	for _, ch := range pending {
		<-ch
	}
}

// loadTombstones runs at Open, before reconcile: the files they name are
// doomed, not orphans to adopt. A tombstone whose digest has a record
// again (a fill after the unlink, its tombstone delete lost) is dropped.
func (s *Store) loadTombstones() error {
	files := map[id]int64{}
	var stale [][]byte
	err := s.db.View(func(txn *badger.Txn) error {
		prefix := []byte(unlinkPrefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.ValidForPrefix(prefix); it.Next() {
			k := it.Item().KeyCopy(nil)
			var i id
			if len(k) != len(unlinkPrefix)+len(i) {
				stale = append(stale, k)
				continue
			}
			copy(i[:], k[len(unlinkPrefix):])
			if _, live, err := peekMeta(txn, i); err != nil || live {
				stale = append(stale, k)
				continue
			}
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			size, n := binary.Uvarint(v)
			if n <= 0 {
				size = 0
			}
			files[i] = int64(size)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(stale) > 0 {
		if err := s.update(func(txn *badger.Txn) error {
			for _, k := range stale {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
	}
	s.doom(files)
	s.wakeUnlinker()
	return nil
}
