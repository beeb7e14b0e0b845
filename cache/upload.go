package cache

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrUnsupportedDigest says a digest names an algorithm hosted content
// cannot be verified with.
var ErrUnsupportedDigest = errors.New("unsupported digest algorithm: sha256 and sha512 are")

// Upload is a pushed blob on its way in: a temp file under tmp/ that
// hashes (sha256) what it is given, so the digest is known without reading
// the file again. It is invisible until Commit verifies it against the
// digest the client names; a crash leaves only the temp file, which the
// next Open removes. One request at a time writes it (the mirror's
// session makes sure).
type Upload struct {
	store   *Store
	file    *os.File
	hash    hash.Hash
	size    int64
	checked int64 // size when the free space was last checked
}

// NewUpload starts an empty upload.
func (s *Store) NewUpload() (*Upload, error) {
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "upload-")
	if err != nil {
		return nil, err
	}
	return &Upload{store: s, file: f, hash: sha256.New()}, nil
}

// Write appends to the upload. A push that would leave the filesystem
// less than MinFree fails with ErrNoSpace (evicting cached content first
// where that makes room), before the disk is full and before any manifest
// can name the blob.
func (u *Upload) Write(b []byte) (int, error) {
	if u.size == 0 || u.size+int64(len(b)) >= u.checked+uploadCheckEvery {
		if err := u.store.makeRoom(uploadCheckEvery); err != nil {
			return 0, err
		}
		u.checked = u.size
	}
	n, err := u.file.Write(b)
	u.hash.Write(b[:n])
	u.size += int64(n)
	return n, err
}

// Size is the bytes received so far.
func (u *Upload) Size() int64 { return u.size }

// Abort discards the upload.
func (u *Upload) Abort() {
	u.file.Close()
	os.Remove(u.file.Name())
}

// Commit verifies the bytes against d (sha256, or sha512 for the
// conformance suite's content) and, if they match, makes them the blob of
// their sha256 in the shared store, held for hosted use and linked into
// repo. A layer pushed that is already cached from upstream stays one
// file. On a mismatch nothing is stored and the upload is gone.
func (u *Upload) Commit(repo string, d v1.Hash) error {
	defer u.Abort() // after a rename this only closes the handle
	sum := u.hash.Sum(nil)
	if err := u.verify(d, sum); err != nil {
		return err
	}
	var i id
	copy(i[:], sum)
	release, err := u.store.enterAll([]id{i})
	if err != nil {
		return err
	}
	defer release()
	if err := u.store.commitFile(u.file, i, u.size); err != nil {
		return err
	}
	return u.store.hostedUpdate(func(h *hostedTxn) error { return h.link(repo, i, d) })
}

func (u *Upload) verify(d v1.Hash, sum256 []byte) error {
	switch d.Algorithm {
	case algorithm:
		if hex.EncodeToString(sum256) != d.Hex {
			return fmt.Errorf("%w: got sha256:%x, want %s", ErrCorrupt, sum256, d)
		}
		return nil
	case "sha512":
		got, err := sha512Of(u.file)
		if err != nil {
			return err
		}
		if hex.EncodeToString(got) != d.Hex {
			return fmt.Errorf("%w: got sha512:%x, want %s", ErrCorrupt, got, d)
		}
		return nil
	}
	return fmt.Errorf("%w: %s", ErrUnsupportedDigest, d.Algorithm)
}

// sha512Of re-reads the file: sha512 content is rare (conformance tests),
// so every upload need not pay for a second running hash.
func sha512Of(f *os.File) ([]byte, error) {
	h := sha512.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, 1<<62)); err != nil {
		return nil, err
	}
	return h.Sum(nil), nil
}

// commitFile makes a verified temp file the blob i: fsync, rename into
// blobs/, record, in the order Pending.Commit uses. The caller has i in
// flight, so the evictor leaves it be.
func (s *Store) commitFile(f *os.File, i id, size int64) error {
	if err := f.Sync(); err != nil {
		return err
	}
	final := s.blobPath(i)
	if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), final); err != nil {
		return err
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		return err
	}
	s.hot.drop(i)
	return s.record(i, size, "")
}
