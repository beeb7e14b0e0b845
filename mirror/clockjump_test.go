package mirror_test

import (
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// jumpFixture is a mirror whose wall clock and monotonic clock the test
// moves apart, as NTP stepping the clock does.
type jumpFixture struct {
	hub           *upstreamtest.Hub
	wall, elapsed *clock
	url           string
}

func startJump(t *testing.T, dataDir string, wall *clock) (jumpFixture, running) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	f := jumpFixture{hub: hub, wall: wall, elapsed: newClock()}
	r := startMirrorUntilStopped(t, hub, setup{ttl: ttl, clock: wall, elapsed: f.elapsed, dataDir: dataDir})
	f.url = r.url + "/v2/library/alpine/manifests/latest"
	return f, r
}

// heads pulls the tag and says how many HEADs that cost upstream.
func (f jumpFixture) heads(t *testing.T) int64 {
	t.Helper()
	before := f.hub.Counts().ManifestHeads
	manifestDigest(t, f.url)
	return f.hub.Counts().ManifestHeads - before
}

// The wall clock jumping an hour either way does not decide freshness
// while the process runs: forward does not expire the tag, back does not
// keep it fresh past the TTL on the monotonic clock.
func TestClockJumpsDoNotDecideFreshness(t *testing.T) {
	for _, jump := range []time.Duration{time.Hour, -time.Hour} {
		f, r := startJump(t, "", newClock())
		manifestDigest(t, f.url) // fetched: fresh for the TTL
		f.wall.advance(jump)
		f.elapsed.advance(time.Second)
		if n := f.heads(t); n != 0 {
			t.Errorf("wall clock %+v, a second later: %d HEADs, want 0 (still fresh)", jump, n)
		}
		f.wall.advance(ttl)
		f.elapsed.advance(ttl)
		if n := f.heads(t); n != 1 {
			t.Errorf("wall clock %+v, a TTL later: %d HEADs, want 1 (expired)", jump, n)
		}
		r.stop()
	}
}

// After a restart only the wall-clock time in the index is left. One in
// the future (the clock was ahead when the tag was stored, and has been
// set back) counts as now: the tag is fresh for one TTL on the monotonic
// clock, not for the hour the clock was ahead.
func TestFutureFetchTimeAfterRestartCountsAsNow(t *testing.T) {
	dir := t.TempDir()
	ahead := newClock()
	ahead.advance(time.Hour)
	f, r := startJump(t, dir, ahead)
	manifestDigest(t, f.url)
	r.stop()

	f, r = startJump(t, dir, newClock()) // the clock set right, an hour back
	defer r.stop()
	f.hub.MustSeedStandard(t)
	if n := f.heads(t); n != 0 {
		t.Errorf("first pull after the restart: %d HEADs, want 0", n)
	}
	f.elapsed.advance(ttl + time.Second)
	f.wall.advance(ttl + time.Second)
	if n := f.heads(t); n != 1 {
		t.Errorf("a TTL after the restart (the stored time still ahead of the clock): %d HEADs, want 1", n)
	}
}
