package cache

import (
	"encoding/binary"

	"github.com/dgraph-io/badger/v4"
)

// victim is content the evictor proposes to remove, as the LRU walk saw it.
type victim struct {
	id   id
	at   int64 // last access in the a/ key; -1 for "whatever it is now"
	size int64
	key  []byte // the a/ key the walk found; nil when not from the walk
}

// scanLRU walks a/ keys from from, oldest first, proposing unpinned
// digests until their sizes add up to need or a chunk is full. It reads
// only the a/ keys and values, in order; whether each is still current is
// checked under the claim. next is where the following scan resumes.
func (s *Store) scanLRU(from []byte, need int64, pinned map[id]bool) (victims []victim, next []byte, err error) {
	next = from
	err = s.db.View(func(txn *badger.Txn) error {
		prefix := []byte(accessPrefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 256})
		defer it.Close()
		var sum int64
		for it.Seek(from); it.ValidForPrefix(prefix); it.Next() {
			k := it.Item().KeyCopy(nil)
			next = append(k[:len(k):len(k)], 0)
			at, i, ok := parseAccessKey(k)
			if !ok || pinned[i] {
				continue
			}
			var size uint64
			err := it.Item().Value(func(v []byte) error { size, _ = binary.Uvarint(v); return nil })
			if err != nil {
				return err
			}
			victims = append(victims, victim{id: i, at: at, size: int64(size), key: k})
			if sum += int64(size); sum >= need || len(victims) >= evictChunk {
				return nil
			}
		}
		return nil
	})
	return victims, next, err
}
