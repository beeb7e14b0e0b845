package cache

import (
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

var holdMu sync.Mutex

// OpenHeld opens a store whose unlinker waits before its first batch
// until release is called, so a test can look between an eviction pass
// and its unlinks, or kill the process there.
func OpenHeld(dir string, o Options) (s *Store, release func(), err error) {
	holdMu.Lock()
	defer holdMu.Unlock()
	gate := make(chan struct{})
	testUnlinkGate = gate
	defer func() { testUnlinkGate = nil }()
	s, err = OpenWithOptions(dir, o)
	return s, sync.OnceFunc(func() { close(gate) }), err
}

// EvictPass is the background evictor's pass: records only, the files
// left to the unlinker.
func EvictPass(s *Store) (Evicted, error) { return s.evictPass() }

// DoomedFiles is how many evicted files await the unlinker.
func DoomedFiles(s *Store) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.doomed)
}

// BetweenOpenAndTouch runs f once, in the next Open, between its open(2)
// and its check that the digest is not being removed.
func BetweenOpenAndTouch(f func()) (restore func()) {
	testBetweenOpenAndTouch = func() {
		testBetweenOpenAndTouch = nil
		f()
	}
	return func() { testBetweenOpenAndTouch = nil }
}

// FoundDamaged is what a read that found d's file damaged does.
func FoundDamaged(s *Store, d v1.Hash) {
	i, _ := idOf(d)
	s.damaged(i, ErrCorrupt)
}

// RemovalsUnderWay is how many damaged digests are still being removed.
func RemovalsUnderWay(s *Store) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.condemned)
}
