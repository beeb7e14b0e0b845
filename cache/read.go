package cache

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Blob is committed content open for reading: http.ServeContent seeks it,
// and many readers may share it through ReadAt. Underneath it is the file,
// so serving it can still use sendfile.
type Blob interface {
	io.ReadSeekCloser
	io.ReaderAt
}

// Open returns the verified content for d, ready for reading, and counts as
// an access. The caller closes the blob; an open blob keeps streaming even
// if d is evicted meanwhile. Content stored before this process started is
// verified as it is first read (damage.go): a damaged file is ErrNotFound
// (its size is wrong) or an error before its last bytes (its hash).
func (s *Store) Open(d v1.Hash) (Blob, error) {
	i, ok := idOf(d)
	if !ok {
		return nil, ErrNotFound
	}
	f, err := s.openFile(i)
	if err != nil {
		return nil, err
	}
	if testBetweenOpenAndTouch != nil {
		testBetweenOpenAndTouch()
	}
	if !s.touch(i) {
		f.Close()
		return nil, ErrNotFound // evicted, its file not yet unlinked
	}
	// One fstat on the warm path: only files older than this process
	// cost an index read and a check.
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	if fi.ModTime().UnixNano() >= s.openedAt || s.verified.has(i) {
		return f, nil
	}
	m, err := s.meta(i)
	if err != nil {
		// No record: the file was removed after it was opened (found
		// damaged, evicted or deleted). Unverified, it is not content.
		f.Close()
		return nil, err
	}
	return s.verifyOnRead(f, fi.Size(), i, m)
}

// testBetweenOpenAndTouch, set only by tests, runs between Open's open(2)
// and its check that the digest is not being removed.
var testBetweenOpenAndTouch func()

// ReadAll returns small content (a manifest) with what the index knows of
// it, and counts as an access. The body may be shared: callers must not
// modify it.
func (s *Store) ReadAll(d v1.Hash) ([]byte, Meta, error) {
	i, ok := idOf(d)
	if !ok {
		return nil, Meta{}, ErrNotFound
	}
	t := now()
	if he := s.hot.entry(i); he != nil {
		if he.touchDue(t) {
			s.touch(i)
		}
		meta := he.meta
		meta.LastAccess = unixTime(t)
		return he.body, meta, nil
	}
	body, meta, err := s.read(i)
	if err != nil {
		return body, meta, err
	}
	s.hot.put(i, body, meta)
	s.touch(i)
	meta.LastAccess = unixTime(t)
	return body, meta, nil
}

// Stat returns what the index knows of d, with reads not yet written to the
// index taken into account. It is not an access.
func (s *Store) Stat(d v1.Hash) (Meta, error) {
	i, ok := idOf(d)
	if !ok {
		return Meta{}, ErrNotFound
	}
	m, err := s.meta(i)
	if err != nil {
		return Meta{}, err
	}
	s.mu.Lock()
	at, seen := s.touched[i]
	s.mu.Unlock()
	if seen && at > m.LastAccess.UnixNano() {
		m.LastAccess = unixTime(at)
	}
	return m, nil
}

// read is ReadAll without the access: verify and the pin walk look at
// content without making it recently used.
func (s *Store) read(i id) ([]byte, Meta, error) {
	meta, err := s.meta(i)
	if err != nil {
		return nil, Meta{}, err
	}
	body, err := os.ReadFile(s.blobPath(i))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, Meta{}, ErrNotFound
	}
	if err != nil || s.verified.has(i) {
		return body, meta, err
	}
	// Small content is hashed at its first read from disk since start: a
	// damaged manifest is a miss, never a body under the wrong digest.
	// Hashing it at every read cost bench scenario 10 a third of a warm
	// tag GET once the manifests no longer fitted the hot set.
	s.manifestHashes.Add(1)
	if sha256.Sum256(body) != i {
		s.damaged(i, fmt.Errorf("%w: %d bytes on disk do not hash to their name", ErrCorrupt, len(body)))
		return nil, Meta{}, ErrNotFound
	}
	s.verified.add(i)
	return body, meta, nil
}

func (s *Store) openFile(i id) (*os.File, error) {
	f, err := os.Open(s.blobPath(i))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	return f, err
}

// touch notes an access in memory only; the flusher writes it to the index
// at most once per flush interval, so a warm hit costs no index write. It
// is false, and notes nothing, for an evicted digest whose file awaits
// the unlinker.
func (s *Store) touch(i id) bool {
	t := now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.doomed[i]; ok {
		return false
	}
	if _, ok := s.condemned[i]; ok {
		return false
	}
	s.touched[i] = t
	return true
}
