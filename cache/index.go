package cache

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Tag is what a cached tag resolved to upstream, and when that was asked.
type Tag struct {
	Digest    v1.Hash   `json:"digest"`
	MediaType string    `json:"mediaType"`
	FetchedAt time.Time `json:"fetchedAt"`
}

// Tag returns the digest a tag of upstream/repo pointed at when last fetched.
func (s *Store) Tag(upstream, repo, tag string) (Tag, error) {
	key := tagKey(upstream, repo, tag)
	t, ok, writes := s.tags.get(key)
	if ok {
		return t, nil
	}
	if err := s.readJSON(key, &t); err != nil {
		return Tag{}, err
	}
	s.tags.fill(string(key), t, writes)
	return t, nil
}

// readJSON decodes the JSON value under key into v; ErrNotFound if absent.
func (s *Store) readJSON(key []byte, v any) error {
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		return item.Value(func(b []byte) error { return json.Unmarshal(b, v) })
	})
	return notFound(err)
}

// SetTag records what a tag resolved to, and that its repository has a
// cached tag. Tags outlive the content they name: a tag whose manifest was
// evicted reads as a miss in ReadAll, and the mirror fetches it again.
func (s *Store) SetTag(upstream, repo, tag string, t Tag) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	key := tagKey(upstream, repo, tag)
	err = s.update(func(txn *badger.Txn) error {
		if err := txn.Set(key, b); err != nil {
			return err
		}
		return txn.Set(repoKey(upstream, repo), nil)
	})
	if err == nil {
		s.tags.set(string(key), t)
	}
	return err
}

// meta reads the c/ record of i.
func (s *Store) meta(i id) (Meta, error) {
	var m Meta
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		m, err = getMeta(txn, i)
		return err
	})
	return m, notFound(err)
}

func getMeta(txn *badger.Txn, i id) (Meta, error) {
	item, err := txn.Get(contentKey(i))
	if err != nil {
		return Meta{}, err
	}
	var m Meta
	err = item.Value(func(v []byte) error {
		m, err = decodeMeta(v)
		return err
	})
	return m, err
}

// putMeta writes i's record inside txn, replacing old (if it existed) and
// moving the a/ key from old's last access to m's.
func putMeta(txn *badger.Txn, i id, m, old Meta, existed bool) error {
	if existed {
		if err := txn.Delete(accessKey(old.LastAccess.UnixNano(), i)); err != nil {
			return err
		}
	}
	if err := txn.Set(contentKey(i), encodeMeta(m)); err != nil {
		return err
	}
	return txn.Set(accessKey(m.LastAccess.UnixNano(), i), accessValue(m.Size))
}

// deleteMeta removes i's record and its a/ key inside txn.
func deleteMeta(txn *badger.Txn, i id, m Meta) error {
	if err := txn.Delete(contentKey(i)); err != nil {
		return err
	}
	return txn.Delete(accessKey(m.LastAccess.UnixNano(), i))
}

// maxUpdateAttempts bounds the retries of a conflicting transaction: the
// pauses between them add up to about 30 ms.
const maxUpdateAttempts = 36

// update runs fn in a read-write transaction, again if a concurrent one
// wrote what fn read: Badger detects that conflict, which is what keeps the
// in-memory byte count exact when a fill and the evictor meet on a digest.
func (s *Store) update(fn func(*badger.Txn) error) error {
	defer s.indexWrites.Add(1) // after the commit: see evictTo
	return s.updateUncounted(fn)
}

// updateUncounted is update for the eviction pass's own writes, which the
// pass need not notice.
func (s *Store) updateUncounted(fn func(*badger.Txn) error) error {
	var err error
	for attempt := range maxUpdateAttempts {
		if err = s.db.Update(fn); !errors.Is(err, badger.ErrConflict) {
			break
		}
		// Retrying at once can meet the same writers again: a burst of
		// fills and an eviction pass touching the same keys exhausted
		// ten immediate retries under -race. A growing pause lets them pass.
		time.Sleep(time.Duration(attempt) * 50 * time.Microsecond)
	}
	// Not found is an answer, not a failed write: nothing was half-done.
	if err != nil && !errors.Is(err, ErrNotFound) {
		s.dirty.Store(true)
	}
	return err
}

func notFound(err error) error {
	if errors.Is(err, badger.ErrKeyNotFound) {
		return ErrNotFound
	}
	return err
}
