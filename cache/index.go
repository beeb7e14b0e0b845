package cache

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Meta describes one stored digest.
type Meta struct {
	Size       int64     `json:"size"`
	MediaType  string    `json:"mediaType,omitempty"`
	Created    time.Time `json:"created"`
	LastAccess time.Time `json:"lastAccess"`
}

// Tag is what a cached tag resolved to upstream, and when that was asked.
type Tag struct {
	Digest    v1.Hash   `json:"digest"`
	MediaType string    `json:"mediaType"`
	FetchedAt time.Time `json:"fetchedAt"`
}

// Stat returns what the index knows of d.
func (s *Store) Stat(d v1.Hash) (Meta, error) {
	var m Meta
	return m, s.get(contentKey(d), &m)
}

// Tag returns the digest a tag of upstream/repo pointed at when last fetched.
func (s *Store) Tag(upstream, repo, tag string) (Tag, error) {
	var t Tag
	return t, s.get(tagKey(upstream, repo, tag), &t)
}

// SetTag records what a tag resolved to.
func (s *Store) SetTag(upstream, repo, tag string, t Tag) error {
	return s.set(tagKey(upstream, repo, tag), t)
}

func (s *Store) get(key []byte, into any) error {
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(key)
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error { return json.Unmarshal(v, into) })
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return ErrNotFound
	}
	return err
}

func (s *Store) set(key []byte, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(key, b) })
}
