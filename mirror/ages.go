package mirror

import (
	"sync"
	"time"
)

// maxAges bounds the answers whose age is followed on the monotonic clock;
// past it the memo starts again, and the next look at each answer measures
// it on the wall clock once more, which is only wrong while the clock jumps.
const maxAges = 100000

// answerAges tells how old a cached answer (a tag, a referrers index) is.
// Its fetched-at time is wall-clock, because the index keeps it across
// restarts and a monotonic reading dies with the process. So the wall
// clock is read once, the first time this process looks at the answer (a
// time in the future, the clock having gone back, counts as now), and from
// then on the age grows on the monotonic clock: a wall clock jumping an
// hour neither expires every tag at once nor keeps stale ones fresh.
type answerAges struct {
	wall    func() time.Time
	elapsed func() time.Duration // monotonic

	mu   sync.RWMutex
	seen map[string]firstLook
}

type firstLook struct {
	fetched time.Time     // the answer looked at: a new fetch is a new answer
	at      time.Duration // elapsed then
	age     time.Duration // its age then, from the wall clock
}

func newAnswerAges(wall func() time.Time, elapsed func() time.Duration) *answerAges {
	return &answerAges{wall: wall, elapsed: elapsed, seen: map[string]firstLook{}}
}

// age is how old the answer under key, fetched at fetched, is now.
func (a *answerAges) age(key string, fetched time.Time) time.Duration {
	now := a.elapsed()
	a.mu.RLock() // every warm hit asks; only a new answer writes
	l, ok := a.seen[key]
	a.mu.RUnlock()
	if ok && l.fetched.Equal(fetched) {
		return l.age + now - l.at
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if l, ok := a.seen[key]; ok && l.fetched.Equal(fetched) {
		return l.age + now - l.at
	}
	if len(a.seen) >= maxAges {
		a.seen = map[string]firstLook{}
	}
	l = firstLook{fetched: fetched, at: now, age: max(a.wall().Sub(fetched), 0)}
	a.seen[key] = l
	return l.age
}

// stored notes an answer just fetched (or confirmed), so its age runs on
// the monotonic clock from the start. Its age now is 0, or more when a
// parent mirror said its answer was already stale (fetched in the past).
func (a *answerAges) stored(key string, fetched time.Time) {
	now := a.elapsed()
	age := max(a.wall().Sub(fetched), 0)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.seen) >= maxAges {
		a.seen = map[string]firstLook{}
	}
	a.seen[key] = firstLook{fetched: fetched, at: now, age: age}
}

// elapsedSince is the monotonic clock of a process whose wall clock is
// now: time.Now's monotonic reading makes Sub immune to clock jumps, and a
// test's clock moved by hand moves both.
func elapsedSince(now func() time.Time) func() time.Duration {
	start := now()
	return func() time.Duration { return now().Sub(start) }
}
