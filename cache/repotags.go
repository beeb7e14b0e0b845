package cache

import (
	"github.com/dgraph-io/badger/v4"
)

// RepoTags lists, in lexical order, the tags of upstream/repo the cache
// has resolved: what the mirror can still answer a tag list with when
// upstream cannot be asked.
func (s *Store) RepoTags(upstream, repo string) ([]string, error) {
	tags := []string{}
	// Neither a repository nor a tag contains ':', so this prefix holds
	// exactly this repository's tags, not those of repo-x or repo/sub.
	prefix := tagKey(upstream, repo, "")
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: false})
		defer it.Close()
		for it.Seek(prefix); it.ValidForPrefix(prefix); it.Next() {
			tags = append(tags, string(it.Item().Key()[len(prefix):]))
		}
		return nil
	})
	return tags, err
}
