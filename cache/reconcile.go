package cache

import (
	"bytes"

	"github.com/dgraph-io/badger/v4"
)

// reconcile makes the index and blobs/ agree and counts what is stored.
// After a clean Close they already agree, and the marker it left has the
// totals (marker.go); a marker without them means counting the index. After a crash (no clean marker) the index is walked beside the
// files, both in digest order: records without a file are dropped, and
// files without a record (a crash between rename and index write) are
// re-hashed and adopted, unless a tombstone dooms them (evicted, not yet
// unlinked: unlink.go), or removed if they do not
// match their name. Only those orphans are hashed, so a crash costs a
// directory walk, not a re-read of the cache.
func (s *Store) reconcile(clean bool, counts *markerCounts) error {
	if clean && counts != nil {
		s.used.Store(counts.Used)
		s.entries.Store(counts.Entries)
		return nil
	}
	if clean {
		if ok, err := s.count(); err != nil || ok {
			return err
		}
		s.log.Warn("cache: unreadable index records after a clean shutdown; reconciling")
	}
	orphans, err := s.matchFiles()
	if err != nil {
		return err
	}
	for _, i := range orphans {
		if s.isDoomedNow(i) {
			continue // evicted: the unlinker removes it (unlink.go)
		}
		if err := s.adopt(i); err != nil {
			return err
		}
	}
	return nil
}

// count sums the index; ok is false if a record could not be read.
func (s *Store) count() (ok bool, err error) {
	var used, n int64
	ok = true
	err = s.eachRecord(func(_ id, m Meta, err error) error {
		if err != nil {
			ok = false
		}
		used += m.Size
		n++
		return nil
	})
	s.used.Store(used)
	s.entries.Store(n)
	return ok, err
}

// eachRecord calls fn for every c/ record in digest order, with the decode
// error for records that cannot be read.
func (s *Store) eachRecord(fn func(i id, m Meta, err error) error) error {
	return s.eachRecordFrom(id{}, fn)
}

// eachRecordFrom is eachRecord starting at digest from.
func (s *Store) eachRecordFrom(from id, fn func(i id, m Meta, err error) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		prefix := []byte(contentPrefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		for it.Seek(contentKey(from)); it.ValidForPrefix(prefix); it.Next() {
			i, ok := idFromContentKey(it.Item().Key())
			if !ok {
				continue
			}
			var m Meta
			var derr error
			if err := it.Item().Value(func(v []byte) error { m, derr = decodeMeta(v); return nil }); err != nil {
				return err
			}
			if err := fn(i, m, derr); err != nil {
				return err
			}
		}
		return nil
	})
}

// matchFiles merges the index with blobs/, dropping records without a
// file, counting the rest, and returning files without a record.
func (s *Store) matchFiles() ([]id, error) {
	m := &merger{store: s, files: newFileCursor(s.dir, s.log), wb: s.db.NewWriteBatch()}
	defer m.wb.Cancel()
	if err := m.files.advance(); err != nil {
		return nil, err
	}
	if err := s.eachRecord(m.record); err != nil {
		return nil, err
	}
	if err := m.orphansBefore(nil); err != nil {
		return nil, err
	}
	s.used.Store(m.used)
	s.entries.Store(m.entries)
	return m.orphans, m.wb.Flush()
}

// merger walks records and files, both in digest order, side by side.
type merger struct {
	store         *Store
	files         *fileCursor
	wb            *badger.WriteBatch
	orphans       []id
	used, entries int64
}

func (m *merger) record(i id, meta Meta, derr error) error {
	if err := m.orphansBefore(&i); err != nil {
		return err
	}
	hasFile := m.files.ok && m.files.cur == i
	if hasFile {
		if err := m.files.advance(); err != nil {
			return err
		}
	}
	if derr == nil && hasFile {
		m.used += meta.Size
		m.entries++
		return nil
	}
	if hasFile {
		m.orphans = append(m.orphans, i) // unreadable record: re-hash the file
	}
	return m.store.dropRecord(m.wb, i, meta, derr)
}

// orphansBefore collects files ordered before i (all remaining if nil).
func (m *merger) orphansBefore(i *id) error {
	for m.files.ok && (i == nil || bytes.Compare(m.files.cur[:], i[:]) < 0) {
		m.orphans = append(m.orphans, m.files.cur)
		if err := m.files.advance(); err != nil {
			return err
		}
	}
	return nil
}

func (s *Store) dropRecord(wb *badger.WriteBatch, i id, m Meta, derr error) error {
	if s.Hosted(i.hash()) {
		// Pushed content has no upstream to come back from: say so loudly.
		s.log.Error("cache: HOSTED content is gone from disk; its index record is dropped: push it again", "digest", i.hash())
	} else {
		s.log.Info("cache: dropping index record whose file is gone or unreadable", "digest", i.hash())
	}
	if err := wb.Delete(contentKey(i)); err != nil {
		return err
	}
	if derr != nil {
		return nil // its a/ key is unknown; the evictor drops it as stale
	}
	return wb.Delete(accessKey(m.LastAccess.UnixNano(), i))
}
