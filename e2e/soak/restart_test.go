package soak

import (
	"context"
	"math/rand/v2"
	"strings"
	"time"
)

// restarter kills the mirror at random intervals (kill -9 mostly, SIGTERM
// under load sometimes), starts it again on the same data dir, and checks
// every pushed image survived. It also notices a mirror that died on its
// own, which is a crash whatever the reason.
type restarter struct {
	mirror   *mirror
	verifier *client
	tally    *tally
	rng      *rand.Rand
	// quietAfter is when killing stops, so the last mirror lives long
	// enough under load for its resources to mean something.
	quietAfter time.Time
	onRestart  func() // the sampler's cue that the pid changed
}

func (r *restarter) run(ctx context.Context, gap func() time.Duration) error {
	for n := 0; ; n++ {
		t := time.NewTimer(gap())
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-r.mirror.current().Done():
			t.Stop()
			r.tally.event("mirror CRASHED (exited on its own)", 1)
			r.tally.note("mirror", "%s exited: %v; see %s", r.mirror.current().Name(), r.mirror.current().Err(), r.mirror.current().LogPath())
		case <-t.C:
			if time.Now().After(r.quietAfter) {
				continue
			}
			if err := r.stop(n); err != nil {
				return err
			}
			if r.rng.IntN(3) == 0 {
				r.maintain(ctx)
			}
		}
		if err := r.restart(ctx); err != nil {
			return err
		}
	}
}

// stop ends the mirror: the first time and most others with kill -9.
func (r *restarter) stop(n int) error {
	if n > 0 && r.rng.IntN(10) < 3 {
		r.tally.event("SIGTERM under load", 1)
		if err := r.mirror.term(); err != nil {
			r.tally.event("SIGTERM NOT OBEYED in time", 1)
			r.tally.note("mirror", "%v", err)
		}
		return nil
	}
	r.tally.event("kill -9", 1)
	return r.mirror.kill()
}

func (r *restarter) restart(ctx context.Context) error {
	if err := r.startRetrying(); err != nil {
		return err
	}
	r.tally.event("restarts", 1)
	r.onRestart()
	checked, lostN := r.verifier.verifyPushed(ctx)
	r.tally.event("pushed images checked after restarts", int64(checked))
	if lostN > 0 {
		r.tally.note("restart", "%d pushed images missing after the start of %s", lostN, r.mirror.current().Name())
	}
	return nil
}

// startAttempts bounds the starts of one restart. The machine the soak
// shares can run out of disk for a moment (another test filling it): a
// start that fails then is reported, and tried again, rather than ending
// hours of soak.
const startAttempts = 5

func (r *restarter) startRetrying() error {
	var err error
	for n := 0; n < startAttempts; n++ {
		if err = r.mirror.start(); err == nil {
			return nil
		}
		r.tally.event("mirror FAILED TO START (retried)", 1)
		r.tally.note("start", "%v; see %s", err, r.mirror.current().LogPath())
		time.Sleep(5 * time.Second) // a pause for the machine, not a synchronisation
	}
	return err
}

// logFindings counts what the mirrors' logs say that they must not.
func logFindings(m *mirror) map[string]int {
	found := map[string]int{}
	for g := 1; g <= m.gen; g++ {
		lines, err := readLog(m, g)
		if err != nil {
			continue
		}
		for _, l := range lines {
			for _, bad := range []string{"panic:", "fatal error:", "WARNING: DATA RACE"} {
				if strings.Contains(l, bad) {
					found[bad]++
				}
			}
		}
	}
	return found
}
