package cache

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var (
	// ErrCorrupt says bytes did not match the digest or size they were sent under.
	ErrCorrupt = errors.New("content does not match its digest")
	// ErrAborted is what readers of a pending blob get once it was given up
	// before its digest verified: what they already read is not the blob.
	ErrAborted = errors.New("pending blob was aborted before it was whole")
)

// Pending is content on its way into the cache. Writers feed it, in order
// (Write) or as pieces at their offsets (WriteAt, safe for disjoint pieces
// at once), and one of them commits, aborts or shelves it; any number of
// readers follow the bytes as they arrive, before and after the commit.
type Pending interface {
	io.Writer
	io.WriterAt
	// Commit verifies size and digest once, lets readers take the last
	// byte, and only then makes the content durable under its digest.
	Commit() error
	// Abort discards the content; readers still waiting fail.
	Abort()
	// Shelve gives up this fill but keeps the bytes written so far, with
	// their map, for the next fill of the digest (Store.Resume), across a
	// restart too. Readers still waiting fail. Content of unknown size
	// cannot be resumed and is aborted.
	Shelve()
	// Checkpoint makes the bytes written so far durable and records where
	// they are, so a crash from here on costs only what came after.
	Checkpoint() error
	// Close releases the file; call it once no reader needs it.
	Close() error
	// NewReader follows the content from offset from as it grows.
	NewReader(ctx context.Context, from int64) io.Reader
	// NewRangeReader reads bytes [from, to) as soon as they are written.
	NewRangeReader(ctx context.Context, from, to int64, hold bool) io.Reader
	// Missing lists the byte ranges not yet written, in order; a resumed
	// partial starts with some already there. Nil when the size is unknown.
	Missing() []Span
	// Size is the size promised at Create; -1 when it was not known.
	Size() int64
	// Verified says the bytes are the blob, committed or about to be.
	Verified() bool
	// Failed says the blob will never be whole: its readers fail.
	Failed() bool
}

// pending is a file beside the blob directory (so the final rename is
// atomic) that hashes its contiguous prefix as it grows. Content of known
// size is written to the digest's partial file (partial.go), whose map of
// written spans lets a later fill continue; other content to an anonymous
// temp file. Nothing can find it by digest until Commit has verified it,
// and the evictor leaves its digest alone until it is finished.
type pending struct {
	store     *Store
	id        id
	digest    v1.Hash
	mediaType string
	size      int64 // expected; -1 when upstream did not say
	file      *os.File
	partial   bool  // file is the digest's partial file
	next      int64 // where Write appends; only the in-order writer uses it
	finish    sync.Once
	unchecked atomic.Int64 // bytes written since the free space was last checked

	// mu guards what readers and writers share. The hash itself is fed by
	// one writer at a time, the one holding the hashing turn, outside mu.
	mu       sync.Mutex
	grew     *sync.Cond // broadcast on every write and on the outcome
	have     spans      // bytes written
	hash     hash.Hash
	hashed   int64 // the prefix fed to hash
	hashing  bool  // a writer holds the hashing turn
	hashErr  error
	verified bool  // the written bytes matched the digest
	failure  error // why the blob will never be whole; set only unverified

	// cp orders checkpoints against each other and the end of the fill; no
	// reader or request ever waits on it.
	cp    sync.Mutex
	ended bool
}

// Create starts writing content for d. size may be -1 if not known yet.
// A blob of known size goes to d's partial file, replacing what an earlier
// fill kept there (Resume continues it instead), unless another fill of d
// holds that file.
func (s *Store) Create(d v1.Hash, size int64, mediaType string) (Pending, error) {
	i, ok := idOf(d)
	if !ok {
		return nil, fmt.Errorf("unsupported digest %q: only sha256 is stored", d)
	}
	if err := s.makeRoom(size); err != nil {
		return nil, err
	}
	if err := s.enter(i); err != nil {
		return nil, err
	}
	f, partial, err := s.createFile(i, size)
	if err != nil {
		s.leave(i)
		return nil, err
	}
	return s.newPending(i, mediaType, size, f, partial, nil), nil
}

// createFile opens the file a new fill of i writes.
func (s *Store) createFile(i id, size int64) (*os.File, bool, error) {
	if size >= 0 && s.holdFreshPartial(i, size) {
		f, err := os.OpenFile(s.partialPath(i), os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o644)
		if err != nil {
			s.unholdPartial(i)
		}
		return f, true, err
	}
	f, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), "fill-")
	return f, false, err
}

func (s *Store) newPending(i id, mediaType string, size int64, f *os.File, partial bool, have spans) *pending {
	p := &pending{store: s, id: i, digest: i.hash(), mediaType: mediaType, size: size, file: f,
		partial: partial, have: have, next: have.prefix(), hash: sha256.New()}
	p.grew = sync.NewCond(&p.mu)
	return p
}

// Write appends after what the in-order writer wrote last.
func (p *pending) Write(b []byte) (int, error) {
	n, err := p.WriteAt(b, p.next)
	p.next += int64(n)
	return n, err
}

// WriteAt writes b at off and wakes the readers. Writing past the expected
// size fails at once rather than filling the disk with a runaway body.
func (p *pending) WriteAt(b []byte, off int64) (int, error) {
	if off < 0 || (p.size >= 0 && off+int64(len(b)) > p.size) {
		return 0, fmt.Errorf("%w: bytes up to %d, more than the expected %d", ErrCorrupt, off+int64(len(b)), p.size)
	}
	// Create checked the room for the whole blob, but fills running at
	// once (and one of unknown size) can still take the index's reserve.
	if p.unchecked.Add(int64(len(b))) >= uploadCheckEvery {
		p.unchecked.Store(0)
		if err := p.store.makeRoom(uploadCheckEvery); err != nil {
			return 0, err
		}
	}
	n, err := p.file.WriteAt(b, off)
	p.mu.Lock()
	p.have = p.have.add(off, off+int64(n))
	p.mu.Unlock()
	p.grew.Broadcast()
	p.hashPrefix(b[:n], off)
	return n, err
}

// Missing lists what is still to be written.
func (p *pending) Missing() []Span {
	if p.size < 0 {
		return nil
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.have.missing(p.size)
}

// Commit verifies size and digest, makes the bytes durable, and only then
// publishes them under their digest and records them in the index. Readers
// get the last byte as soon as the digest verified: the bytes are the blob,
// and need not wait for the fsync and rename that make them durable. The
// file is renamed before its record is written, so a crash in between
// leaves a verified file that the next start re-hashes and adopts.
func (p *pending) Commit() error {
	defer p.done()
	if !p.store.beginCommit() {
		p.Shelve() // the next run may finish it
		return errClosed
	}
	defer p.store.commits.Done()
	p.end()
	p.hashPrefix(nil, 0) // a resumed partial may have been whole already
	written, err := p.verify()
	if err != nil {
		p.abort(err)
		return err
	}
	p.settle(nil)
	p.store.awaitEviction(p.id)
	if err := p.publish(); err != nil {
		p.Abort()
		return err
	}
	if err := p.store.record(p.id, written, p.mediaType); err != nil {
		return fmt.Errorf("indexing %s: %w", p.digest, err)
	}
	p.store.wakeIfOver()
	return nil
}

func (p *pending) verify() (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	written := p.have.prefix()
	switch {
	case p.hashErr != nil:
		return 0, p.hashErr
	case p.size >= 0 && written != p.size:
		return 0, fmt.Errorf("%w: got %d bytes, want %d", ErrCorrupt, written, p.size)
	case p.have.total() != written || p.hashed != written:
		return 0, fmt.Errorf("%w: %d bytes written, %d of them in order", ErrCorrupt, p.have.total(), written)
	}
	if got := fmt.Sprintf("%x", p.hash.Sum(nil)); got != p.digest.Hex {
		return 0, fmt.Errorf("%w: got sha256:%s, want %s", ErrCorrupt, got, p.digest)
	}
	return written, nil
}

// publish moves the verified file to its place. A partial's map goes after
// its file, so a crash in between leaves a map without a file, which
// start-up drops.
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
	if p.partial {
		p.store.forgetPartial(p.id)
	}
	return syncDir(dir)
}

// Abort discards the file. Readers holding it open see no more bytes.
func (p *pending) Abort() { p.abort(ErrAborted) }

func (p *pending) abort(cause error) {
	p.end()
	if p.partial {
		p.store.dropPartialFiles(p.id)
	} else {
		os.Remove(p.file.Name())
	}
	p.settle(cause)
	p.done()
}

// Shelve keeps the written spans for the next fill.
func (p *pending) Shelve() {
	if !p.partial {
		p.Abort()
		return
	}
	if err := p.Checkpoint(); err != nil {
		p.store.log.Warn("cache: cannot keep a partial download", "digest", p.digest, "error", err)
		p.Abort()
		return
	}
	p.end()
	// The partial is let go before the readers hear of the failure: a
	// client that retries the moment its body is cut must find the pieces
	// free to continue from, not still held (TestFailedFillKeepsItsPieces
	// saw the retry start over in 2 of 50 runs).
	p.done()
	p.settle(ErrAborted)
}

// Checkpoint syncs the file, then writes the map of what it holds: the map
// never names bytes a crash could lose.
func (p *pending) Checkpoint() error {
	if !p.partial {
		return nil
	}
	p.cp.Lock()
	defer p.cp.Unlock()
	if p.ended {
		return nil
	}
	p.mu.Lock()
	have := append(spans(nil), p.have...)
	p.mu.Unlock()
	if len(have.missing(p.size)) == 0 {
		return nil // whole: the commit follows, and a crash re-fetches little
	}
	if err := p.file.Sync(); err != nil {
		return err
	}
	return p.store.savePartial(p.id, p.size, have)
}

// end stops checkpoints: the fill is over, however it ended.
func (p *pending) end() {
	p.cp.Lock()
	p.ended = true
	p.cp.Unlock()
}

// Close releases the file handle. Content neither committed nor aborted
// keeps its last checkpoint (as after a crash) and its readers fail.
func (p *pending) Close() error {
	p.end()
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

// done ends the digest's in-flight mark and its hold on the partial file,
// whichever of Commit, Abort, Shelve or Close comes first.
func (p *pending) done() {
	p.finish.Do(func() {
		if p.partial {
			p.store.unholdPartial(p.id)
		}
		p.store.leave(p.id)
	})
}

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
