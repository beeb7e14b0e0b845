package cache

import (
	"fmt"
	"log/slog"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// badgerOptions sizes Badger for a daemon whose index is small (about 130
// bytes per blob on disk) next to the content it describes; Badger's
// defaults reserve hundreds of MiB for memtables and caches that a mirror
// never fills. BenchmarkIdleRSS100k holds the result to its budget.
//
//   - Keys are raw digests, which do not compress, so blocks are stored
//     uncompressed and read in place from the memory-mapped tables: no
//     block cache, no decompressed copies on the heap. The kernel's page
//     cache does that job and gives the memory back under pressure.
//   - Two 4 MiB memtables absorb minutes of access-time updates.
//   - Six level-0 tables before compacting into the level below, not two:
//     an eviction pass over a million blobs writes ~15 MB of deletes and
//     tombstones, and with two the pass ran its own L0 compactions, each
//     merging into a base level that grows with the cache (bench scenario
//     10: 1.52 s for 10 % of 1 M, growth exponent 1.17; with six, 0.86 s
//     and 1.02, start-up, RSS and p99 unchanged). Lookups check a few more
//     tables' bloom filters.
//   - Values are a few dozen bytes, far below the threshold, so they live
//     in the LSM tree; the value log stays nearly empty and its GC (run on
//     a timer by maintain) has little to do.
//   - Writes are not fsynced one by one. A killed process loses nothing
//     (the kernel has the pages); a power cut can lose the last writes,
//     which the next start reconciles with the files.
func badgerOptions(dir string, log *slog.Logger) badger.Options {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return badger.DefaultOptions(dir).
		WithLogger(badgerLogger{log}).
		WithMemTableSize(4 << 20).
		WithNumMemtables(2).
		WithNumLevelZeroTables(6).
		WithNumLevelZeroTablesStall(12). // writes stall well after compaction starts
		WithCompression(options.None).
		WithBlockCacheSize(0).
		WithIndexCacheSize(0).
		WithValueLogFileSize(64 << 20).
		WithValueThreshold(1 << 10).
		WithNumCompactors(2)
}

// badgerLogger routes Badger's chatter to slog, keeping only what an
// operator should see.
type badgerLogger struct{ log *slog.Logger }

func (l badgerLogger) Errorf(f string, a ...any)   { l.log.Error("index: " + fmt.Sprintf(f, a...)) }
func (l badgerLogger) Warningf(f string, a ...any) { l.log.Warn("index: " + fmt.Sprintf(f, a...)) }
func (l badgerLogger) Infof(string, ...any)        {}
func (l badgerLogger) Debugf(string, ...any)       {}
