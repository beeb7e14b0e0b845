package cache

import (
	"errors"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// maintain is the store's one background goroutine: it writes access
// times, evicts when a commit passes the cap or the timer fires, and
// reclaims Badger's value log. Open starts it; Close stops it.
func (s *Store) maintain() {
	defer close(s.done)
	flush := time.NewTicker(flushInterval)
	evict := time.NewTicker(evictInterval)
	gc := time.NewTicker(gcInterval)
	hosted := time.NewTicker(hostedGCEvery)
	defer hosted.Stop()
	defer flush.Stop()
	defer evict.Stop()
	defer gc.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-flush.C:
			if err := s.Flush(); err != nil {
				s.log.Error("cache: writing access times", "error", err)
			}
		case <-s.wake:
			s.evictLogged()
		case <-evict.C:
			s.evictLogged()
		case <-gc.C:
			s.collectValueLog()
		case <-hosted.C:
			s.collectHostedLogged()
		}
	}
}

func (s *Store) evictLogged() {
	start := time.Now()
	got, err := s.evictPass()
	if err != nil {
		s.log.Error("cache: eviction", "error", err)
	}
	if got.PartialBytes > 0 {
		s.log.Info("cache: removed partial downloads", "bytes", got.PartialBytes, "max_age", s.opts.PartialMaxAge)
	}
	if got.Blobs > 0 {
		s.log.Info("cache: evicted least recently used content", "blobs", got.Blobs, "bytes", got.Bytes,
			"used", s.cachedSize(), "cap", s.opts.MaxSize, "took", time.Since(start))
	}
}

func (s *Store) collectHostedLogged() {
	if s.hostedUsed.Load() == 0 {
		return
	}
	got, err := s.CollectHosted(s.opts.HostedGrace)
	if err != nil {
		s.log.Error("cache: hosted garbage collection", "error", err)
	}
	if got.Blobs > 0 || got.Links > 0 {
		s.log.Info("cache: reclaimed hosted content no manifest refers to",
			"unlinked", got.Links, "blobs", got.Blobs, "bytes", got.Bytes)
	}
}

// maxGCRounds bounds one value-log collection; each round rewrites at most
// one file.
const maxGCRounds = 16

// collectValueLog rewrites value-log files that are mostly garbage until
// Badger finds none worth rewriting.
func (s *Store) collectValueLog() {
	for range maxGCRounds {
		err := s.db.RunValueLogGC(0.5)
		if errors.Is(err, badger.ErrNoRewrite) || errors.Is(err, badger.ErrRejected) {
			return
		}
		if err != nil {
			s.log.Warn("cache: index value-log collection", "error", err)
			return
		}
	}
}
