package cache

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Item is one small blob for PutMany.
type Item struct {
	Digest    v1.Hash
	MediaType string
	Body      []byte
}

// PutMany stores many small blobs with Put's guarantees (verified, durable
// before they are indexed, a crash leaves only what start-up adopts or
// removes) but shares the disk work Put pays per blob: every file is
// written before one sync of the file system makes them all durable (on
// Linux; elsewhere each is fsynced), the renames share one more, and a
// thousand records go to the index per transaction. An fsync costs a
// device flush even when the journal has nothing left to commit: 370 µs
// each here, most of a small Put. Tools that seed a cache use it (bench
// scenario 10 builds a million blobs with it). Nothing is stored if any
// item does not match its digest; content already stored only counts as
// an access, as with Put.
func (s *Store) PutMany(items []Item) error {
	ids, err := s.newItems(items)
	if err != nil {
		return err
	}
	if !s.beginCommit() {
		return errClosed
	}
	defer s.commits.Done()
	for _, i := range ids {
		if i == (id{}) {
			continue
		}
		if err := s.enter(i); err != nil {
			return err // only Close refuses, and it waits for this commit
		}
		defer s.leave(i)
	}
	if err := s.publishMany(ids, items); err != nil {
		return err
	}
	if err := s.recordMany(ids, items); err != nil {
		return err
	}
	s.wakeIfOver()
	return nil
}

// newItems checks every item and returns the ids of those not stored yet,
// indexed like items; the zero id (no sha256 has it) marks one to skip.
func (s *Store) newItems(items []Item) ([]id, error) {
	ids := make([]id, len(items))
	seen := make(map[id]bool, len(items))
	for k, it := range items {
		i, ok := idOf(it.Digest)
		if !ok {
			return nil, fmt.Errorf("unsupported digest %q: only sha256 is stored", it.Digest)
		}
		if sum := sha256.Sum256(it.Body); sum != i {
			return nil, fmt.Errorf("%w: got sha256:%x, want %s", ErrCorrupt, sum, it.Digest)
		}
		if !seen[i] && !s.has(it.Digest, it.MediaType) {
			ids[k] = i
		}
		seen[i] = true
	}
	return ids, nil
}

// publishMany writes the new items to temp files, makes them durable,
// renames them into place and makes the renames durable: a crash leaves
// temp files (removed at start) or verified files without a record
// (adopted at start), never a partial file under blobs/.
func (s *Store) publishMany(ids []id, items []Item) error {
	var temps []string
	defer func() {
		for _, t := range temps {
			if t != "" {
				os.Remove(t)
			}
		}
	}()
	tmp := filepath.Join(s.dir, tmpDir)
	for k, i := range ids {
		if i == (id{}) {
			temps = append(temps, "")
			continue
		}
		name, err := writeTemp(tmp, items[k].Body)
		temps = append(temps, name)
		if err != nil {
			return err
		}
	}
	if err := syncFiles(tmp, temps); err != nil {
		return err
	}
	var dirs []string
	for k, t := range temps {
		if t == "" {
			continue
		}
		s.awaitEviction(ids[k])
		final := s.blobPath(ids[k])
		if dir := filepath.Dir(final); !slices.Contains(dirs, dir) {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, dir)
		}
		if err := os.Rename(t, final); err != nil {
			// Those renamed already have no record: the next start must
			// reconcile to adopt them.
			s.dirty.Store(true)
			return err
		}
		// The name is free again, and another writer's temp file may take
		// it: the cleanup above must not remove that one.
		temps[k] = ""
	}
	return syncDirs(s.dir, dirs)
}

// writeTemp writes body to a new temp file in dir and closes it, unsynced.
func writeTemp(dir string, body []byte) (string, error) {
	f, err := os.CreateTemp(dir, "fill-")
	if err != nil {
		return "", err
	}
	_, err = f.Write(body)
	return f.Name(), errors.Join(err, f.Close())
}

// putManyRecords is how many records one PutMany transaction writes,
// within Badger's limit on a transaction's size.
const putManyRecords = 1000

// recordMany indexes the published items, a transaction per group.
func (s *Store) recordMany(ids []id, items []Item) error {
	for start := 0; start < len(ids); start += putManyRecords {
		end := min(len(ids), start+putManyRecords)
		var delta, added int64
		err := s.update(func(txn *badger.Txn) error {
			delta, added = 0, 0
			for k := start; k < end; k++ {
				if ids[k] == (id{}) {
					continue
				}
				d, a, err := recordIn(txn, ids[k], int64(len(items[k].Body)), items[k].MediaType)
				if err != nil {
					return err
				}
				delta, added = delta+d, added+a
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("indexing %d blobs: %w", end-start, err)
		}
		s.used.Add(delta)
		s.entries.Add(added)
	}
	return nil
}
