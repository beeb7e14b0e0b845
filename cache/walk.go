package cache

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Walk calls fn for every stored digest, in digest order, with its record
// as of the last flush. fn runs inside a read transaction: keep it quick.
func (s *Store) Walk(fn func(d v1.Hash, m Meta) error) error {
	return s.eachRecord(func(i id, m Meta, err error) error {
		if err != nil {
			return nil // unreadable; the next reconcile drops it
		}
		return fn(i.hash(), m)
	})
}

// TagRef names one cached tag.
type TagRef struct {
	Upstream, Repo, Tag string
}

// WalkTags calls fn for every cached tag, ordered by upstream, then by
// repository and tag as stored.
func (s *Store) WalkTags(fn func(ref TagRef, t Tag) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		prefix := []byte(tagPrefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			ref, ok := parseTagKey(it.Item().Key())
			var t Tag
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &t) }); err != nil || !ok {
				continue
			}
			if err := fn(ref, t); err != nil {
				return err
			}
		}
		return nil
	})
}

// parseTagKey splits t/<upstream>/<repo>:<tag>. Neither a host nor a tag
// may contain '/' or ':' in a repository position, so the first '/' ends
// the upstream and the last ':' starts the tag.
func parseTagKey(k []byte) (TagRef, bool) {
	rest := strings.TrimPrefix(string(k), tagPrefix)
	up, rest, ok1 := strings.Cut(rest, "/")
	colon := strings.LastIndexByte(rest, ':')
	if !ok1 || colon < 0 {
		return TagRef{}, false
	}
	return TagRef{Upstream: up, Repo: rest[:colon], Tag: rest[colon+1:]}, true
}

// Repositories lists, in lexical order, the repositories of upstream with
// at least one cached tag that sort after last, at most n of them (all if
// n ≤ 0): the pagination /v2/_catalog defines.
func (s *Store) Repositories(upstream, last string, n int) ([]string, error) {
	repos := []string{}
	prefix := repoKey(upstream, "")
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		start := repoKey(upstream, last)
		for it.Seek(start); it.ValidForPrefix(prefix); it.Next() {
			k := it.Item().Key()
			if last != "" && bytes.Equal(k, start) {
				continue
			}
			repos = append(repos, string(k[len(prefix):]))
			if n > 0 && len(repos) == n {
				return nil
			}
		}
		return nil
	})
	return repos, err
}

// Stats is a summary of the store.
type Stats struct {
	Entries int64 `json:"entries"`
	Bytes   int64 `json:"bytes"`
	MaxSize int64 `json:"maxSize,omitempty"`
	Tags    int64 `json:"tags"`
	Repos   int64 `json:"repositories"`
	// Hosted is the part of Bytes hosted repositories hold, outside the
	// cap; HostedRepos counts those repositories.
	Hosted      int64 `json:"hostedBytes"`
	HostedRepos int64 `json:"hostedRepositories"`
}

// Stats counts what is stored. Entries and bytes are kept in memory; tags
// and repositories are counted from the index.
func (s *Store) Stats() (Stats, error) {
	st := Stats{Entries: s.entries.Load(), Bytes: s.used.Load(), MaxSize: s.opts.MaxSize,
		Hosted: s.hostedUsed.Load(), HostedRepos: s.hostedRepos.Load()}
	err := s.db.View(func(txn *badger.Txn) error {
		st.Tags = countKeys(txn, tagPrefix)
		st.Repos = countKeys(txn, repoPrefix)
		return nil
	})
	return st, err
}

func countKeys(txn *badger.Txn, prefix string) int64 {
	p := []byte(prefix)
	it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: false})
	defer it.Close()
	var n int64
	for it.Seek(p); it.ValidForPrefix(p); it.Next() {
		n++
	}
	return n
}
