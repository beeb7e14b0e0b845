package mirror

import (
	"crypto/rand"
	"encoding/hex"
	"sync"
	"time"

	"github.com/hubmirror/hubmirror/cache"
)

// The defaults of Options that leave the upload bounds unset, and of the
// serve flags that set them.
const (
	// DefaultMaxUploads bounds upload sessions open at once: docker pushes
	// a few layers per client at a time, so this is many clients.
	DefaultMaxUploads = 64
	// DefaultMaxUploadSize bounds one pushed blob.
	DefaultMaxUploadSize = 16 << 30
	// DefaultUploadIdle ends a session no request has used this long; a
	// request in progress keeps its session alive however long it takes.
	DefaultUploadIdle = 15 * time.Minute
)

func (o Options) withUploadDefaults() Options {
	if o.MaxUploads <= 0 {
		o.MaxUploads = DefaultMaxUploads
	}
	if o.MaxUploadSize <= 0 {
		o.MaxUploadSize = DefaultMaxUploadSize
	}
	if o.UploadIdle <= 0 {
		o.UploadIdle = DefaultUploadIdle
	}
	return o
}

// session is one blob upload. Its bytes live in the store's temp file;
// here is only who may use it. One request at a time does (busy), so a
// PATCH and a PUT racing on one session cannot interleave their bytes.
type session struct {
	id, repo string
	buf      *cache.Upload
	busy     bool
	last     time.Time
}

// uploads are the open sessions, bounded in number; a session idle past
// the limit is ended by a timer (sweeper), or the next time anyone looks,
// whichever is first. Nothing here survives a
// restart, and nothing needs to: the temp files go at the store's Open,
// and the client starts the blob again.
type uploads struct {
	mu       sync.Mutex
	sessions map[string]*session
	max      int
	idle     time.Duration
	now      func() time.Time
	// sweeper ends idle sessions when no new upload comes to sweep them:
	// after the day's last push, an abandoned session would otherwise
	// keep its temp file and descriptor for good. Armed while sessions
	// exist, with mu held.
	sweeper *time.Timer
}

func newUploads(max int, idle time.Duration, now func() time.Time) *uploads {
	return &uploads{sessions: map[string]*session{}, max: max, idle: idle, now: now}
}

var (
	errNoSuchUpload  = apiErr(errUploadUnknown, "no such upload: it finished, was cancelled, failed or expired; start again")
	errUploadBusy    = apiErr(errUploadInvalid, "another request is using this upload")
	errTooManyPushes = apiErr(errTooMany, "too many uploads in progress; try again shortly")
)

// reserve opens a session for repo, busy for the caller, once there is
// room; the caller gives it a buffer or ends it.
func (u *uploads) reserve(repo string) (*session, error) {
	u.mu.Lock()
	stale := u.sweep()
	defer discard(stale)
	defer u.mu.Unlock()
	if len(u.sessions) >= u.max {
		return nil, errTooManyPushes
	}
	s := &session{id: newSessionID(), repo: repo, busy: true, last: u.now()}
	u.sessions[s.id] = s
	u.armSweep()
	return s, nil
}

// acquire hands the caller session id of repo, busy until release or end.
func (u *uploads) acquire(repo, id string) (*session, error) {
	u.mu.Lock()
	s := u.sessions[id]
	var err error
	switch {
	case s == nil || s.repo != repo || s.buf == nil:
		err = errNoSuchUpload
	case s.busy:
		err = errUploadBusy
	case u.expired(s):
		delete(u.sessions, s.id)
		defer discard([]*session{s})
		err = errNoSuchUpload
	default:
		s.busy = true
	}
	u.mu.Unlock()
	if err != nil {
		return nil, err
	}
	return s, nil
}

// release lets the next request use the session.
func (u *uploads) release(s *session) {
	u.mu.Lock()
	s.busy, s.last = false, u.now()
	u.mu.Unlock()
}

// end forgets the session; its buffer was committed or is discarded here.
func (u *uploads) end(s *session, abort bool) {
	u.mu.Lock()
	delete(u.sessions, s.id)
	u.mu.Unlock()
	if abort {
		discardOne(s)
	}
}

// open counts the sessions, for tests and the status page.
func (u *uploads) open() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.sessions)
}

// sweep takes idle sessions out, with u.mu held; the caller discards
// their files once the lock is released.
func (u *uploads) sweep() []*session {
	var stale []*session
	for _, s := range u.sessions {
		if !s.busy && u.expired(s) {
			delete(u.sessions, s.id)
			stale = append(stale, s)
		}
	}
	return stale
}

func (u *uploads) expired(s *session) bool { return u.now().Sub(s.last) > u.idle }

// armSweep, with u.mu held, makes sure a sweep runs just after the
// longest idle session can expire; a busy session is looked at again once
// it has been idle for the whole timeout.
func (u *uploads) armSweep() {
	if u.sweeper != nil || len(u.sessions) == 0 {
		return
	}
	next := u.idle
	for _, s := range u.sessions {
		if !s.busy {
			next = min(next, s.last.Add(u.idle).Sub(u.now()))
		}
	}
	u.sweeper = time.AfterFunc(max(next, 0)+sweepLag, u.sweepIdle)
}

// sweepLag is how long after a session's expiry the timer looks: expiry
// is strictly after the timeout, so a timer on the dot would find nothing.
const sweepLag = 10 * time.Millisecond

func (u *uploads) sweepIdle() {
	u.mu.Lock()
	u.sweeper = nil
	stale := u.sweep()
	u.armSweep()
	u.mu.Unlock()
	discard(stale)
}

func discard(stale []*session) {
	for _, s := range stale {
		discardOne(s)
	}
}

func discardOne(s *session) {
	if s.buf != nil {
		s.buf.Abort()
	}
}

func newSessionID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}
