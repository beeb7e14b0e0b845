package cache

import (
	"errors"

	"github.com/dgraph-io/badger/v4"
)

// A digest is in one of three in-memory states besides "just stored":
// in flight (a Pending exists), being evicted (claimed), or neither. The
// two exclude each other without holding a lock across I/O: the evictor
// only claims digests with nothing in flight, and a Commit that finds its
// digest claimed waits for that eviction to finish before it publishes,
// so a file is never unlinked after a fill put it back.

// enter marks i in flight; refused once the store is closed.
func (s *Store) enter(i id) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errClosed
	}
	s.inflight[i]++
	return nil
}

// beginCommit counts a Commit that Close must wait for; refused once the
// store is closing.
func (s *Store) beginCommit() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return false
	}
	s.commits.Add(1)
	return true
}

func (s *Store) leave(i id) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.inflight[i]--; s.inflight[i] <= 0 {
		delete(s.inflight, i)
	}
}

// awaitEviction blocks while i is being removed, and removes an evicted
// file of i the unlinker has not reached yet (unlink.go).
func (s *Store) awaitEviction(i id) {
	for {
		s.mu.Lock()
		ch := s.evicting[i]
		s.mu.Unlock()
		if ch == nil {
			s.unlinkNow(i)
			return
		}
		<-ch
	}
}

// claim marks for removal those victims that are neither in flight nor
// read since the last flush (unless force), nor already claimed. The
// returned release ends every claim it made.
func (s *Store) claim(victims []victim, force bool) (claimed []victim, release func()) {
	ch := make(chan struct{})
	s.mu.Lock()
	for _, v := range victims {
		if _, busy := s.evicting[v.id]; busy {
			continue
		}
		if _, reading := s.touched[v.id]; !force && (s.inflight[v.id] > 0 || reading) {
			continue
		}
		s.evicting[v.id] = ch
		claimed = append(claimed, v)
	}
	s.mu.Unlock()
	return claimed, func() {
		s.mu.Lock()
		for _, v := range claimed {
			delete(s.evicting, v.id)
		}
		s.mu.Unlock()
		close(ch)
	}
}

// record indexes committed content and accounts for it. Content committed
// again (the same digest) keeps its created time and, when the new fill
// did not say, its media type.
func (s *Store) record(i id, size int64, mediaType string) error {
	var delta, added int64
	err := s.update(func(txn *badger.Txn) error {
		var err error
		delta, added, err = recordIn(txn, i, size, mediaType)
		return err
	})
	if err == nil {
		s.used.Add(delta)
		s.entries.Add(added)
	}
	return err
}

// recordIn writes i's record inside txn, as accessed now, and returns
// what it adds to the used bytes and to the entries.
func recordIn(txn *badger.Txn, i id, size int64, mediaType string) (delta, added int64, err error) {
	t := unixTime(now())
	m := Meta{Size: size, MediaType: mediaType, Created: t, LastAccess: t}
	old, existed, err := peekMeta(txn, i)
	if err != nil {
		return 0, 0, err
	}
	delta, added = size, 1
	if existed {
		m.Created, delta, added = old.Created, size-old.Size, 0
		if m.MediaType == "" {
			m.MediaType = old.MediaType
		}
	}
	return delta, added, putMeta(txn, i, m, old, existed)
}

// peekMeta is getMeta with "absent" as a plain false.
func peekMeta(txn *badger.Txn, i id) (Meta, bool, error) {
	m, err := getMeta(txn, i)
	switch {
	case err == nil:
		return m, true, nil
	case isMissing(err):
		return Meta{}, false, nil
	}
	return Meta{}, false, err
}

func isMissing(err error) bool {
	return errors.Is(err, badger.ErrKeyNotFound) || errors.Is(err, errBadMeta)
}

// wakeIfOver nudges the evictor once usage passes the cap.
func (s *Store) wakeIfOver() {
	if s.opts.MaxSize > 0 && s.total() > s.opts.MaxSize {
		select {
		case s.wake <- struct{}{}:
		default:
		}
	}
}
