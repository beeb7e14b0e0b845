package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// adopt re-hashes a file that has no index record. A match is verified
// content (renamed into place by a Commit whose index write was lost) and
// is indexed as of its modification time, which keeps its place in the
// LRU order; anything else is removed, since nothing unverified is ever
// served.
func (s *Store) adopt(i id) error {
	path := s.blobPath(i)
	sum, size, mtime, err := hashFile(path)
	if err != nil || sum != i {
		s.log.Warn("cache: removed a file whose content does not match its name", "path", path, "error", err)
		return removeIfPresent(path)
	}
	m := Meta{Size: size, MediaType: sniffMediaType(path, size), Created: mtime, LastAccess: mtime}
	err = s.update(func(txn *badger.Txn) error {
		old, existed, err := peekMeta(txn, i)
		if err != nil {
			return err
		}
		return putMeta(txn, i, m, old, existed)
	})
	if err != nil {
		return err
	}
	s.used.Add(size)
	s.entries.Add(1)
	s.log.Info("cache: adopted a verified file that had no index record", "digest", i.hash(), "size", size)
	return nil
}

// hashFile hashes the regular file at path.
func hashFile(path string) (sum id, size int64, mtime time.Time, err error) {
	f, err := os.Open(path)
	if err != nil {
		return sum, 0, mtime, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return sum, 0, mtime, err
	}
	if !fi.Mode().IsRegular() {
		return sum, 0, mtime, fmt.Errorf("not a regular file")
	}
	h := sha256.New()
	if size, err = io.Copy(h, f); err != nil {
		return sum, 0, mtime, err
	}
	return id(h.Sum(nil)), size, fi.ModTime().UTC(), nil
}

// sniffLimit is the largest file whose media type adopt looks for: the
// distribution registry refuses manifests above 4 MiB.
const sniffLimit = 4 << 20

// sniffMediaType recovers a manifest's media type, which the mirror must
// send back and which the lost record held: the document's own mediaType
// field, or for an OCI document without one, its shape. Layers and
// configs stay untyped, as fills store them.
func sniffMediaType(path string, size int64) string {
	if size > sniffLimit {
		return ""
	}
	b, err := os.ReadFile(path)
	if err != nil || !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		return ""
	}
	var doc struct {
		SchemaVersion int             `json:"schemaVersion"`
		MediaType     string          `json:"mediaType"`
		Manifests     json.RawMessage `json:"manifests"`
		Config        json.RawMessage `json:"config"`
		Layers        json.RawMessage `json:"layers"`
	}
	if json.Unmarshal(b, &doc) != nil || doc.SchemaVersion == 0 {
		return ""
	}
	switch {
	case doc.MediaType != "":
		return doc.MediaType
	case len(doc.Manifests) > 0:
		return "application/vnd.oci.image.index.v1+json"
	case len(doc.Config) > 0 && len(doc.Layers) > 0:
		return "application/vnd.oci.image.manifest.v1+json"
	}
	return ""
}

func removeIfPresent(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}
