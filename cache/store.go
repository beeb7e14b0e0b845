package cache

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/dgraph-io/badger/v4"
)

var (
	// ErrNotFound says the cache holds no such digest or tag.
	ErrNotFound = errors.New("not in cache")
	// ErrInUse says another process (a running server) has the data dir.
	ErrInUse = errors.New("data dir is in use by another hubmirror process")
	// errClosed says the store was used after Close.
	errClosed = errors.New("cache is closed")
)

// Store is the content-addressed cache. It is safe for concurrent use.
type Store struct {
	dir  string
	db   *badger.DB
	log  *slog.Logger
	opts Options
	pins []pin
	lock *os.File

	// used and entries are derived from the index: counted at Open and
	// moved by every transaction that adds or removes a c/ record.
	used      atomic.Int64
	entries   atomic.Int64
	evictions atomic.Int64 // digests evicted since open, for metrics
	// hostedUsed is the part of used that hosted content holds (h/ keys),
	// which the cap does not count; hostedRepos counts hr/ keys. Both are
	// counted at Open and moved by hostedUpdate.
	hostedUsed  atomic.Int64
	hostedRepos atomic.Int64
	// partialUsed is the bytes partial fills hold, by their maps: counted
	// at Open and moved by every checkpoint and every partial's end.
	partialUsed atomic.Int64
	hot         *hotSet // small bodies read recently, served without the disk
	tags        *tagMemo
	// dirty is set when an index write failed, so Close must not promise
	// the next Open that index and files agree.
	dirty atomic.Bool

	// mu guards the in-memory state below and is never held across I/O.
	mu       sync.Mutex
	inflight map[id]int           // digests with a Pending not yet finished
	evicting map[id]chan struct{} // digests being removed; closed when done
	touched  map[id]int64         // reads not yet written to the index
	// indexWrites counts index transactions other than the eviction
	// pass's, each after it ended (index.go, evictTo).
	indexWrites atomic.Int64
	// condemned digests were found damaged and are being removed: no
	// reader opens them (damage.go).
	condemned map[id]struct{}
	partials  map[id]*partialInfo // partial fills on disk (partial.go)
	closed    bool
	commits   sync.WaitGroup // Commits under way; added to only while open

	// maint makes flushes and eviction runs take turns. Only background
	// work and the offline tools take it; no request ever waits on it.
	maint     sync.Mutex
	wake      chan struct{}
	stop      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error

	openedAt int64   // unix ns: content created before is verified on first read (damage.go)
	verified checked // such content verified since
	// doomed holds evicted files awaiting the unlinker, guarded by mu;
	// doomedBytes is their size, still counted in used (unlink.go).
	doomed      map[id]*doomed
	doomedBytes atomic.Int64
	unlinkQueue []id // doomed ids in the order the unlinker takes them
	unlinkWake  chan struct{}
	unlinkDone  chan struct{}
	unlinkGate  chan struct{} // nil but in tests, which hold the unlinker
	// unlinkTurn makes the unlinker's batches and an eviction pass take
	// turns: both wait on the same file system journal (unlink.go).
	unlinkTurn sync.Mutex

	// manifestHashes counts small bodies hashed by read, for tests.
	manifestHashes atomic.Int64

	started time.Time        // with its monotonic reading, for forwardJump
	wallNow func() time.Time // the wall clock alone; tests make it jump
}

// OpenWithOptions prepares dir, takes its lock, reconciles the index with
// the files when the last run did not close cleanly, and starts the
// background flusher and evictor. Temp files left by a crash are removed:
// they were never verified, so nothing may adopt them. Partial fills with
// a readable map are kept for the next fill to continue (partial.go).
func OpenWithOptions(dir string, o Options) (*Store, error) {
	o, pins, err := o.normalise()
	if err != nil {
		return nil, err
	}
	_, err = os.Stat(filepath.Join(dir, blobsDir))
	blobsGone := os.IsNotExist(err)
	for _, sub := range []string{blobsDir, tmpDir, indexDir} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, err
		}
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	s := newStore(dir, o, pins, lock)
	if err := s.start(blobsGone); err != nil {
		s.releaseLock()
		return nil, err
	}
	go s.maintain()
	go s.unlinker()
	s.wakeIfOver() // the cap may have been lowered since the last run
	return s, nil
}

func newStore(dir string, o Options, pins []pin, lock *os.File) *Store {
	return &Store{
		dir: dir, log: o.Log, opts: o, pins: pins, lock: lock, openedAt: now(),
		started: time.Now(), wallNow: func() time.Time { return time.Now().Round(0) },
		hot:        newHotSet(),
		tags:       newTagMemo(),
		inflight:   map[id]int{},
		evicting:   map[id]chan struct{}{},
		touched:    map[id]int64{},
		condemned:  map[id]struct{}{},
		partials:   map[id]*partialInfo{},
		doomed:     map[id]*doomed{},
		unlinkWake: make(chan struct{}, 1),
		unlinkDone: make(chan struct{}),
		unlinkGate: testUnlinkGate,
		wake:       make(chan struct{}, 1),
		stop:       make(chan struct{}),
		done:       make(chan struct{}),
	}
}

// start runs under the dir lock, before anyone can use the store. A
// blobs/ directory that was missing makes the index describe nothing that
// exists: it is reconciled as after a crash, whatever the clean marker says.
func (s *Store) start(blobsGone bool) error {
	clean, counts, err := takeCleanMarker(s.dir)
	if err != nil {
		return err
	}
	if blobsGone && clean {
		s.log.Warn("cache: blobs/ was missing; dropping the index records of content that is gone", "dir", s.dir)
		clean = false
	}
	if err := removeTemps(filepath.Join(s.dir, tmpDir), s.log); err != nil {
		return err
	}
	if err := s.loadPartials(); err != nil {
		return err
	}
	bo := badgerOptions(filepath.Join(s.dir, indexDir), s.log)
	if err := s.checkIndex(bo); err != nil {
		return err
	}
	s.db, err = badger.Open(bo)
	if err != nil {
		if strings.Contains(err.Error(), "Another process is using this Badger database") {
			return fmt.Errorf("%w: %s", ErrInUse, s.dir)
		}
		return fmt.Errorf("opening index in %s: %w", s.dir, err)
	}
	if err := s.loadTombstones(); err != nil {
		s.db.Close()
		return fmt.Errorf("reading evicted files awaiting removal: %w", err)
	}
	if err := s.reconcile(clean, counts); err != nil {
		s.db.Close()
		return fmt.Errorf("reconciling index with %s: %w", filepath.Join(s.dir, blobsDir), err)
	}
	s.used.Add(s.doomedBytes.Load()) // on disk until the unlinker is done
	if err := s.countHosted(); err != nil {
		s.db.Close()
		return fmt.Errorf("counting hosted content: %w", err)
	}
	return nil
}

// Close stops the background work, writes pending access times, closes the
// index and, if nothing was left half-done, marks the dir clean so the next
// Open can skip reconciling. Calling it again returns the first result.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	s.mu.Lock()
	s.closed = true
	busy := len(s.inflight) > 0
	s.mu.Unlock()
	close(s.stop)
	<-s.done
	<-s.unlinkDone
	// A commit under way has let its readers finish: let it file the blob
	// rather than race the index closing (or the caller removing the dir).
	s.commits.Wait()
	s.maint.Lock()
	ferr := s.flush()
	s.maint.Unlock()
	err := errors.Join(ferr, s.db.Close())
	if err == nil && !busy && !s.dirty.Load() {
		err = putCleanMarker(s.dir, markerCounts{Used: s.used.Load() - s.doomedBytes.Load(), Entries: s.entries.Load()})
	}
	s.releaseLock()
	return err
}

func (s *Store) releaseLock() {
	if s.lock != nil {
		s.lock.Close()
	}
}

// Dir is the data directory the store lives in.
func (s *Store) Dir() string { return s.dir }

// Used is the bytes of verified content the index accounts for; it equals
// the bytes under blobs/, hosted content included.
func (s *Store) Used() int64 { return s.used.Load() }

// HostedSize is the part of Used that hosted repositories hold: never
// evicted, and not counted against MaxSize.
func (s *Store) HostedSize() int64 { return s.hostedUsed.Load() }

// HostedRepositories is the number of hosted repositories.
func (s *Store) HostedRepositories() int64 { return s.hostedRepos.Load() }

// cachedSize is what the cap bounds: content from upstream.
func (s *Store) cachedSize() int64 { return s.used.Load() - s.hostedUsed.Load() }

// Entries is the number of digests stored.
func (s *Store) Entries() int64 { return s.entries.Load() }

// MaxSize is the cap the store was opened with; 0 means unbounded.
func (s *Store) MaxSize() int64 { return s.opts.MaxSize }

func removeTemps(dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() == partialDir {
			continue // partial fills are kept for the next fill (partial.go)
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		log.Info("removed unfinished download left by an earlier run", "file", e.Name())
	}
	return nil
}

// now is the store's clock for access times, in the index's unit.
func now() int64 { return time.Now().UnixNano() }

// forwardJump is how far the wall clock has jumped ahead of the monotonic
// one since the store opened (NTP stepping it, an operator setting it).
// Times the store wrote before the jump look that much older than they
// are; a cutoff that must not reclaim too early subtracts it.
func (s *Store) forwardJump() time.Duration {
	wall := s.wallNow().Sub(s.started.Round(0))
	return max(wall-time.Since(s.started), 0)
}

func unixTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }
