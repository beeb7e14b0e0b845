package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// ErrCorrupt says bytes did not match the digest or size they were sent under.
var ErrCorrupt = errors.New("content does not match its digest")

// Pending is content on its way into the cache: a temp file beside the blob
// directory (so the final rename is atomic) that hashes what it is given.
// Nothing can find it by digest until Commit has verified it, and the
// evictor leaves its digest alone until it is committed or aborted.
type Pending struct {
	store     *Store
	id        id
	digest    v1.Hash
	mediaType string
	size      int64 // expected; -1 when upstream did not say
	file      *os.File
	hash      hash.Hash
	written   int64
	finish    sync.Once
}

// Create starts writing content for d. size may be -1 if not known yet.
func (s *Store) Create(d v1.Hash, size int64, mediaType string) (*Pending, error) {
	i, ok := idOf(d)
	if !ok {
		return nil, fmt.Errorf("unsupported digest %q: only sha256 is stored", d)
	}
	if err := s.enter(i); err != nil {
		return nil, err
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "fill-")
	if err != nil {
		s.leave(i)
		return nil, err
	}
	return &Pending{store: s, id: i, digest: d, mediaType: mediaType, size: size, file: f, hash: sha256.New()}, nil
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
// publishes them under their digest and records them in the index. The
// file is renamed before its record is written, so a crash in between
// leaves a verified file that the next start re-hashes and adopts.
func (p *Pending) Commit() error {
	defer p.done()
	if err := p.verify(); err != nil {
		p.Abort()
		return err
	}
	p.store.awaitEviction(p.id)
	if err := p.publish(); err != nil {
		p.Abort()
		return err
	}
	if err := p.store.record(p.id, p.written, p.mediaType); err != nil {
		return fmt.Errorf("indexing %s: %w", p.digest, err)
	}
	p.store.wakeIfOver()
	return nil
}

// Verify checks size and digest of what was written, without publishing
// it. Bytes that pass may be handed to clients as the complete blob at
// once; making them durable in the cache (Commit) can follow.
func (p *Pending) Verify() error { return p.verify() }

func (p *Pending) verify() error {
	if p.size >= 0 && p.written != p.size {
		return fmt.Errorf("%w: got %d bytes, want %d", ErrCorrupt, p.written, p.size)
	}
	if got := hex.EncodeToString(p.hash.Sum(nil)); got != p.digest.Hex {
		return fmt.Errorf("%w: got sha256:%s, want %s", ErrCorrupt, got, p.digest)
	}
	return nil
}

func (p *Pending) publish() error {
	if err := p.file.Sync(); err != nil {
		return err
	}
	final := p.store.blobPath(p.id)
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
func (p *Pending) Abort() {
	os.Remove(p.file.Name())
	p.done()
}

// Close releases the file handle; call it once no reader needs File.
func (p *Pending) Close() error {
	p.done()
	return p.file.Close()
}

// done ends the digest's in-flight mark, whichever of Commit, Abort or
// Close comes first.
func (p *Pending) done() { p.finish.Do(func() { p.store.leave(p.id) }) }

// Put stores small content (a manifest) in one step. Content already
// stored under the same media type only counts as an access: manifests are
// put again on every tag revalidation, and need no second fsync.
func (s *Store) Put(d v1.Hash, mediaType string, body []byte) error {
	if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != d.Hex {
		return fmt.Errorf("%w: got sha256:%x, want %s", ErrCorrupt, sum, d)
	}
	if s.has(d, mediaType) {
		return nil
	}
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

func (s *Store) has(d v1.Hash, mediaType string) bool {
	i, ok := idOf(d)
	if !ok {
		return false
	}
	m, err := s.meta(i)
	if err != nil || m.MediaType != mediaType {
		return false
	}
	if _, err := os.Stat(s.blobPath(i)); err != nil {
		return false
	}
	s.touch(i)
	return true
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
