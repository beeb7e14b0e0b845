package cache

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrCorrupt says bytes did not match the digest or size they were sent under.
var ErrCorrupt = errors.New("content does not match its digest")

// Pending is content on its way into the cache: a temp file beside the blob
// directory (so the final rename is atomic) that hashes what it is given.
// Nothing can find it by digest until Commit has verified it.
type Pending struct {
	store     *Store
	digest    v1.Hash
	mediaType string
	size      int64 // expected; -1 when upstream did not say
	file      *os.File
	hash      hash.Hash
	written   int64
}

// Create starts writing content for d. size may be -1 if not known yet.
func (s *Store) Create(d v1.Hash, size int64, mediaType string) (*Pending, error) {
	if d.Algorithm != "sha256" {
		return nil, fmt.Errorf("unsupported digest algorithm %q", d.Algorithm)
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "fill-")
	if err != nil {
		return nil, err
	}
	return &Pending{store: s, digest: d, mediaType: mediaType, size: size, file: f, hash: sha256.New()}, nil
}

// Write appends to the temp file. Writing past the expected size fails
// at once rather than filling the disk with a runaway body.
func (p *Pending) Write(b []byte) (int, error) {
	if p.size >= 0 && p.written+int64(len(b)) > p.size {
		return 0, fmt.Errorf("%w: more than the expected %d bytes", ErrCorrupt, p.size)
	}
	n, err := p.file.Write(b)
	p.hash.Write(b[:n])
	p.written += int64(n)
	return n, err
}

// File is the temp file, open for ReadAt by readers that follow the write.
// It stays valid after Commit renames it, until Close.
func (p *Pending) File() *os.File { return p.file }

// Written is how many bytes have been written so far.
func (p *Pending) Written() int64 { return p.written }

// Commit verifies size and digest, makes the bytes durable, and only then
// publishes them under their digest.
func (p *Pending) Commit() error {
	if err := p.verify(); err != nil {
		p.Abort()
		return err
	}
	if err := p.publish(); err != nil {
		p.Abort()
		return err
	}
	now := time.Now().UTC()
	return p.store.set(contentKey(p.digest), Meta{Size: p.written, MediaType: p.mediaType, Created: now, LastAccess: now})
}

func (p *Pending) verify() error {
	if p.size >= 0 && p.written != p.size {
		return fmt.Errorf("%w: got %d bytes, want %d", ErrCorrupt, p.written, p.size)
	}
	if got := fmt.Sprintf("%x", p.hash.Sum(nil)); got != p.digest.Hex {
		return fmt.Errorf("%w: got sha256:%s, want %s", ErrCorrupt, got, p.digest)
	}
	return nil
}

func (p *Pending) publish() error {
	if err := p.file.Sync(); err != nil {
		return err
	}
	final := p.store.blobPath(p.digest)
	dir := filepath.Dir(final)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := os.Rename(p.file.Name(), final); err != nil {
		return err
	}
	return syncDir(dir)
}

// Abort discards the temp file. Readers holding it open see no more bytes.
func (p *Pending) Abort() { os.Remove(p.file.Name()) }

// Close releases the file handle; call it once no reader needs File.
func (p *Pending) Close() error { return p.file.Close() }

// Put stores small content (a manifest) in one step.
func (s *Store) Put(d v1.Hash, mediaType string, body []byte) error {
	p, err := s.Create(d, int64(len(body)), mediaType)
	if err != nil {
		return err
	}
	defer p.Close()
	if _, err := bytes.NewReader(body).WriteTo(p); err != nil {
		p.Abort()
		return err
	}
	return p.Commit()
}

// syncDir makes a rename durable: without it a crash can forget the new name.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
