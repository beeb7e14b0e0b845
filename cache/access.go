package cache

import (
	"github.com/dgraph-io/badger/v4"
)

// flushChunk bounds one transaction of access updates: three index entries
// each, far below Badger's per-transaction limit.
const flushChunk = 1000

type access struct {
	id id
	at int64
}

// Flush writes the access times noted since the last flush to the index. It
// runs every flushInterval, before every eviction and at Close. Flushes and
// eviction runs take turns, so Flush also waits out a run in progress.
func (s *Store) Flush() error {
	s.maint.Lock()
	defer s.maint.Unlock()
	return s.flush()
}

// flush runs with s.maint held. Each chunk is a transaction rather than a
// blind WriteBatch: it reads the record it updates, so an access can never
// bring back a record that was evicted after the read, and a record that
// a fill rewrote meanwhile is simply read again.
func (s *Store) flush() error {
	s.mu.Lock()
	batch := s.touched
	s.touched = make(map[id]int64, len(batch))
	s.mu.Unlock()
	chunk := make([]access, 0, min(len(batch), flushChunk))
	for i, at := range batch {
		chunk = append(chunk, access{i, at})
		if len(chunk) == flushChunk {
			if err := s.writeAccesses(chunk); err != nil {
				return err
			}
			chunk = chunk[:0]
		}
	}
	return s.writeAccesses(chunk)
}

func (s *Store) writeAccesses(chunk []access) error {
	if len(chunk) == 0 {
		return nil
	}
	return s.update(func(txn *badger.Txn) error {
		for _, a := range chunk {
			old, ok, err := peekMeta(txn, a.id)
			if err != nil {
				return err
			}
			if !ok || old.LastAccess.UnixNano() >= a.at {
				continue // evicted, or committed again since the read
			}
			m := old
			m.LastAccess = unixTime(a.at)
			if err := putMeta(txn, a.id, m, old, true); err != nil {
				return err
			}
		}
		return nil
	})
}
