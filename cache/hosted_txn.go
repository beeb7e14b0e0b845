package cache

import (
	"encoding/hex"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostedTxn is one transaction over the hosted keys, with what it changes
// in the in-memory figures; those are applied only once it committed, so
// a transaction Badger runs again after a conflict counts once.
type hostedTxn struct {
	txn      *badger.Txn
	now      time.Time
	held     int64 // bytes newly held (+) or released (-)
	newRepos int64
}

// hostedUpdate runs fn in a transaction (again on conflict) and then
// moves hosted bytes and repositories by what the committed run changed.
func (s *Store) hostedUpdate(fn func(h *hostedTxn) error) error {
	var h *hostedTxn
	err := s.update(func(txn *badger.Txn) error {
		h = &hostedTxn{txn: txn, now: time.Now()}
		return fn(h)
	})
	if err == nil {
		s.hostedUsed.Add(h.held)
		s.hostedRepos.Add(h.newRepos)
	}
	return err
}

// enterAll marks ids in flight, each after any eviction of it finished, so
// that neither the evictor nor the hosted collector removes them while a
// transaction links them: both only claim ids with nothing in flight, and
// recheck the hold after claiming (current, collect).
func (s *Store) enterAll(ids []id) (release func(), err error) {
	for n, i := range ids {
		if err := s.enter(i); err != nil {
			for _, j := range ids[:n] {
				s.leave(j)
			}
			return nil, err
		}
		s.awaitEviction(i)
	}
	return func() {
		for _, i := range ids {
			s.leave(i)
		}
	}, nil
}

// hold marks i as referenced by hosted content as of now; its bytes count
// as hosted from the first hold on.
func (h *hostedTxn) hold(i id) error {
	m, ok, err := peekMeta(h.txn, i)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotFound
	}
	if _, err := h.txn.Get(holdKey(i)); errors.Is(err, badger.ErrKeyNotFound) {
		h.held += m.Size
	} else if err != nil {
		return err
	}
	return h.txn.Set(holdKey(i), timeValue(h.now))
}

// link makes stored content i a blob of repo, under the digest d the
// client named it by (a sha512 name is remembered beside the sha256 one).
// The first blob makes the repository exist.
func (h *hostedTxn) link(repo string, i id, d v1.Hash) error {
	if err := h.hold(i); err != nil {
		return err
	}
	if err := h.alias(i, d); err != nil {
		return err
	}
	if err := h.addRepo(repo); err != nil {
		return err
	}
	return h.txn.Set(linkKey(repo, i), timeValue(h.now))
}

func (h *hostedTxn) alias(i id, d v1.Hash) error {
	if d.Algorithm != "sha512" {
		return nil
	}
	sum, err := hex.DecodeString(d.Hex)
	if err != nil || len(sum) != 64 {
		return ErrUnsupportedDigest
	}
	return h.txn.Set(aliasKey(sum), i[:])
}

// addRepo records that repo exists, for the catalog.
func (h *hostedTxn) addRepo(repo string) error {
	_, err := h.txn.Get(hostedRepoKey(repo))
	if errors.Is(err, badger.ErrKeyNotFound) {
		h.newRepos++
		return h.txn.Set(hostedRepoKey(repo), nil)
	}
	return err
}

// resolve finds the sha256 id content named by d is stored under.
func resolve(txn *badger.Txn, d v1.Hash) (id, error) {
	if i, ok := idOf(d); ok {
		return i, nil
	}
	var i id
	sum, err := hex.DecodeString(d.Hex)
	if d.Algorithm != "sha512" || err != nil || len(sum) != 64 {
		return i, ErrNotFound
	}
	item, err := txn.Get(aliasKey(sum))
	if err != nil {
		return i, notFound(err)
	}
	err = item.Value(func(v []byte) error {
		if len(v) != len(i) {
			return ErrNotFound
		}
		copy(i[:], v)
		return nil
	})
	return i, err
}

func exists(txn *badger.Txn, key []byte) (bool, error) {
	_, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return false, nil
	}
	return err == nil, err
}
