package cache

import (
	"fmt"
	"syscall"

	"github.com/dustin/go-humanize"
)

// ErrNoSpace says the data dir's filesystem cannot take the content. It
// wraps syscall.ENOSPC, so callers treat it as the disk-full error a write
// would have given, only earlier: before the client was promised a body.
var ErrNoSpace = fmt.Errorf("data dir full: %w", syscall.ENOSPC)

// DefaultMinFree is the free space new content must leave on the data
// dir's filesystem. Badger's memtables are memory-mapped files: a write to
// a mapped page the filesystem cannot back kills the process (SIGBUS)
// where write(2) would only fail, so the index needs room that content
// must never take.
const DefaultMinFree = 16 << 20

// uploadCheckEvery is how many bytes written to a push or a fill pass
// between two checks of the free space: a statfs per 4 MiB is nothing next
// to writing them.
const uploadCheckEvery = 4 << 20

// makeRoom makes sure size more bytes fit and still leave MinFree, evicting
// cached (never hosted or pinned) content when that can free enough, and
// returns ErrNoSpace when it cannot. Where the free space cannot be read,
// nothing is refused: the writes themselves will say.
func (s *Store) makeRoom(size int64) error {
	free, ok := freeBytes(s.dir)
	want := size + s.opts.MinFree
	if !ok || free >= want {
		return nil
	}
	need := want - free
	if evictable := s.total(); evictable >= need {
		got, err := s.EvictTo(evictable - need)
		s.log.Warn("data dir nearly full: evicted to make room", "need", humanize.IBytes(uint64(need)),
			"evicted_blobs", got.Blobs, "evicted_bytes", humanize.IBytes(uint64(got.Bytes+got.PartialBytes)), "error", err)
		if free, ok = freeBytes(s.dir); !ok || free >= want {
			return nil
		}
	}
	return fmt.Errorf("%w: %s wanted (with %s kept free for the index), %s free on %s", ErrNoSpace,
		humanize.IBytes(uint64(size)), humanize.IBytes(uint64(s.opts.MinFree)), humanize.IBytes(uint64(max(free, 0))), s.dir)
}
