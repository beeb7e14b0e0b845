package cache

import (
	"encoding/json"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Referrers returns the cached referrers index of subject in
// upstream/repo: the digest of the index content and when upstream was
// last asked. The index itself is content like any manifest (ReadAll).
func (s *Store) Referrers(upstream, repo string, subject v1.Hash) (Tag, error) {
	var t Tag
	err := s.readJSON(subjectKey(upstream, repo, subject), &t)
	return t, err
}

// SetReferrers records the referrers index of subject. Like a tag, it
// outlives its content: an evicted index reads as a miss and is fetched
// again.
func (s *Store) SetReferrers(upstream, repo string, subject v1.Hash, t Tag) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.update(func(txn *badger.Txn) error {
		return txn.Set(subjectKey(upstream, repo, subject), b)
	})
}
