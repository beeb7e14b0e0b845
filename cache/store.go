package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrNotFound says the cache holds no such digest or tag.
var ErrNotFound = errors.New("not in cache")

// Store is the content-addressed cache. It is safe for concurrent use.
type Store struct {
	dir string
	db  *badger.DB
	log *slog.Logger
}

// Open prepares dir for use and opens its index. Temp files left by a crash
// are removed first: they were never verified, so nothing may adopt them.
func Open(dir string, log *slog.Logger) (*Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	for _, sub := range []string{blobsDir, tmpDir, indexDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	if err := removeTemps(filepath.Join(dir, tmpDir), log); err != nil {
		return nil, err
	}
	db, err := badger.Open(badgerOptions(filepath.Join(dir, indexDir), log))
	if err != nil {
		return nil, fmt.Errorf("opening index in %s: %w", dir, err)
	}
	return &Store{dir: dir, db: db, log: log}, nil
}

// Close flushes and closes the index.
func (s *Store) Close() error { return s.db.Close() }

// Dir is the data directory the store lives in.
func (s *Store) Dir() string { return s.dir }

func removeTemps(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		log.Info("removed unfinished download left by an earlier run", "file", e.Name())
	}
	return nil
}

// Open returns the verified content for d, ready for reading. The caller
// closes the file; an open file keeps streaming even if d is evicted.
func (s *Store) Open(d v1.Hash) (*os.File, error) {
	f, err := os.Open(s.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// ReadAll returns small content (a manifest) with its media type.
func (s *Store) ReadAll(d v1.Hash) ([]byte, Meta, error) {
	meta, err := s.Stat(d)
	if err != nil {
		return nil, Meta{}, err
	}
	body, err := os.ReadFile(s.blobPath(d))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Meta{}, ErrNotFound
	}
	return body, meta, err
}
