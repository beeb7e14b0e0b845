package cache

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"

	"github.com/dgraph-io/badger/v4"
)

// keptSet is what eviction must skip: pinned images and everything held
// by hosted repositories. The hold is checked again under the claim
// (current), for content linked after this walk.
func (s *Store) keptSet() (map[id]bool, error) {
	kept := s.pinnedSet()
	err := s.eachKey(holdPrefix, func(k, _ []byte) error {
		var i id
		if len(k) == len(holdPrefix)+len(i) {
			copy(i[:], k[len(holdPrefix):])
			kept[i] = true
		}
		return nil
	})
	return kept, err
}

// eachKey calls fn for every key under prefix, in order, with its value.
func (s *Store) eachKey(prefix string, fn func(k, v []byte) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		p := []byte(prefix)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: p, PrefetchValues: true})
		defer it.Close()
		for it.Seek(p); it.ValidForPrefix(p); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if err := fn(it.Item().KeyCopy(nil), v); err != nil {
				return err
			}
		}
		return nil
	})
}

// countHosted sums the held bytes and counts the hosted repositories at
// Open. A hold whose record reconcile dropped (its file was lost) is
// dropped too: there is nothing left to hold.
func (s *Store) countHosted() error {
	var held, repos int64
	var lost [][]byte
	err := s.eachKey(holdPrefix, func(k, _ []byte) error {
		var i id
		copy(i[:], k[len(holdPrefix):])
		m, err := s.meta(i)
		if err == ErrNotFound {
			lost = append(lost, k)
			return nil
		}
		held += m.Size
		return err
	})
	if err == nil {
		err = s.eachKey(hostedRepoPref, func(_, _ []byte) error { repos++; return nil })
	}
	if err == nil && len(lost) > 0 {
		s.log.Warn("cache: hosted content lost its files; dropping its holds", "blobs", len(lost))
		err = s.update(func(txn *badger.Txn) error { return deleteKeys(txn, lost) })
	}
	s.hostedUsed.Store(held)
	s.hostedRepos.Store(repos)
	return err
}

func deleteKeys(txn *badger.Txn, keys [][]byte) error {
	for _, k := range keys {
		if err := txn.Delete(k); err != nil {
			return err
		}
	}
	return nil
}

// HostedRepositoryNames lists the hosted repositories in lexical order.
func (s *Store) HostedRepositoryNames() ([]string, error) {
	names := []string{}
	err := s.eachKey(hostedRepoPref, func(k, _ []byte) error {
		names = append(names, string(k[len(hostedRepoPref):]))
		return nil
	})
	return names, err
}

// HostedTags lists repo's tags in lexical order; ErrNotFound when no such
// hosted repository exists.
func (s *Store) HostedTags(repo string) ([]string, error) {
	var known bool
	err := s.db.View(func(txn *badger.Txn) error {
		var err error
		known, err = exists(txn, hostedRepoKey(repo))
		return err
	})
	if err != nil || !known {
		return nil, orNotFound(err)
	}
	tags := []string{}
	prefix := repoScoped(hostedTagPref, repo)
	err = s.eachKey(string(prefix), func(k, _ []byte) error {
		tags = append(tags, string(k[len(prefix):]))
		return nil
	})
	return tags, err
}

// Referrers returns the descriptors of repo's manifests whose subject is
// subject (a digest string), as they were indexed at push.
func (s *Store) Referrers(repo, subject string) ([]json.RawMessage, error) {
	var out []json.RawMessage
	prefix := referrerScope(repo, subject)
	err := s.eachKey(string(prefix), func(_, v []byte) error {
		out = append(out, bytes.Clone(v))
		return nil
	})
	return out, err
}

// HostedUsage is one hosted repository's share of the store.
type HostedUsage struct {
	Repo      string `json:"repository"`
	Manifests int    `json:"manifests"`
	Blobs     int    `json:"blobs"`
	Bytes     int64  `json:"bytes"` // shared content counts in each repository
}

// HostedUsages lists every hosted repository with its manifests, blobs
// and bytes, in lexical order.
func (s *Store) HostedUsages() ([]HostedUsage, error) {
	byRepo := map[string]*HostedUsage{}
	add := func(prefix string, manifest bool) error {
		return s.eachKey(prefix, func(k, _ []byte) error {
			repo, i, ok := scopedID(prefix, k)
			if !ok {
				return nil
			}
			u := byRepo[repo]
			if u == nil {
				u = &HostedUsage{Repo: repo}
				byRepo[repo] = u
			}
			if m, err := s.meta(i); err == nil {
				u.Bytes += m.Size
			}
			if manifest {
				u.Manifests++
			} else {
				u.Blobs++
			}
			return nil
		})
	}
	if err := add(manifestPrefix, true); err != nil {
		return nil, err
	}
	if err := add(linkPrefix, false); err != nil {
		return nil, err
	}
	out := make([]HostedUsage, 0, len(byRepo))
	for _, r := range slices.Sorted(maps.Keys(byRepo)) {
		out = append(out, *byRepo[r])
	}
	return out, nil
}
