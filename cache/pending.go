package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var (
	// ErrCorrupt says bytes did not match the digest or size they were sent under.
	ErrCorrupt = errors.New("content does not match its digest")
	// ErrAborted is what readers of a pending blob get once it was given up
	// before its digest verified: what they already read is not the blob.
	ErrAborted = errors.New("pending blob was aborted before it was whole")
)

// Pending is content on its way into the cache. One writer feeds it and
// commits or aborts it; any number of readers follow the bytes as they
// arrive (NewReader), before and after the commit.
type Pending interface {
	io.Writer
	// Commit verifies size and digest once, lets readers take the last
	// byte, and only then makes the content durable under its digest.
	Commit() error
	// Abort discards the content; readers still waiting fail.
	Abort()
	// Close releases the file; call it once no reader needs it.
	Close() error
	// NewReader follows the content from offset from as it grows.
	NewReader(ctx context.Context, from int64) io.Reader
	// Size is the size promised at Create; -1 when it was not known.
	Size() int64
	// Verified says the bytes are the blob, committed or about to be.
	Verified() bool
	// Failed says the blob will never be whole: its readers fail.
	Failed() bool
}

// pending is a temp file beside the blob directory (so the final rename is
// atomic) that hashes what it is given. Nothing can find it by digest until
// Commit has verified it, and the evictor leaves its digest alone until it
// is committed or aborted.
type pending struct {
	store     *Store
	id        id
	digest    v1.Hash
	mediaType string
	size      int64 // expected; -1 when upstream did not say
	file      *os.File
	hash      hash.Hash
	finish    sync.Once

	// mu guards what readers look at; only the writer changes written, so
	// the writer reads it without the lock.
	mu       sync.Mutex
	grew     *sync.Cond // broadcast on every write and on the outcome
	written  int64
	verified bool  // the written bytes matched the digest
	failure  error // why the blob will never be whole; set only unverified
}

// Create starts writing content for d. size may be -1 if not known yet.
func (s *Store) Create(d v1.Hash, size int64, mediaType string) (Pending, error) {
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
	p := &pending{store: s, id: i, digest: d, mediaType: mediaType, size: size, file: f, hash: sha256.New()}
	p.grew = sync.NewCond(&p.mu)
	return p, nil
}

// Write appends to the temp file and wakes the readers. Writing past the
// expected size fails at once rather than filling the disk with a runaway
// body.
func (p *pending) Write(b []byte) (int, error) {
	if p.size >= 0 && p.written+int64(len(b)) > p.size {
		return 0, fmt.Errorf("%w: more than the expected %d bytes", ErrCorrupt, p.size)
	}
	n, err := p.file.Write(b)
	p.hash.Write(b[:n])
	p.mu.Lock()
	p.written += int64(n)
	p.mu.Unlock()
	p.grew.Broadcast()
	return n, err
}

// Commit verifies size and digest, makes the bytes durable, and only then
// publishes them under their digest and records them in the index. Readers
// get the last byte as soon as the digest verified: the bytes are the blob,
// and need not wait for the fsync and rename that make them durable. The
// file is renamed before its record is written, so a crash in between
// leaves a verified file that the next start re-hashes and adopts.
func (p *pending) Commit() error {
	defer p.done()
	if err := p.verify(); err != nil {
		p.abort(err)
		return err
	}
	p.settle(nil)
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

func (p *pending) verify() error {
	if p.size >= 0 && p.written != p.size {
		return fmt.Errorf("%w: got %d bytes, want %d", ErrCorrupt, p.written, p.size)
	}
	if got := hex.EncodeToString(p.hash.Sum(nil)); got != p.digest.Hex {
		return fmt.Errorf("%w: got sha256:%s, want %s", ErrCorrupt, got, p.digest)
	}
	return nil
}

func (p *pending) publish() error {
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
func (p *pending) Abort() { p.abort(ErrAborted) }

func (p *pending) abort(cause error) {
	os.Remove(p.file.Name())
	p.settle(cause)
	p.done()
}

// Close releases the file handle. Content neither committed nor aborted
// stays in tmp/ (as after a crash) and its readers fail.
func (p *pending) Close() error {
	p.settle(ErrAborted)
	p.done()
	return p.file.Close()
}

// settle records the outcome readers wait for: nil when the digest
// verified, else why the blob will never be whole. The first one stands,
// so nothing after verification can take the last byte back.
func (p *pending) settle(failure error) {
	p.mu.Lock()
	if !p.verified && p.failure == nil {
		if failure == nil {
			p.verified = true
		} else if errors.Is(failure, ErrAborted) {
			p.failure = failure
		} else {
			p.failure = fmt.Errorf("%w: %w", ErrAborted, failure)
		}
	}
	p.mu.Unlock()
	p.grew.Broadcast()
}

// done ends the digest's in-flight mark, whichever of Commit, Abort or
// Close comes first.
func (p *pending) done() { p.finish.Do(func() { p.store.leave(p.id) }) }

func (p *pending) Size() int64 { return p.size }

func (p *pending) Verified() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.verified
}

func (p *pending) Failed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.failure != nil
}
