package upstream

// Helpers for the tests that drive a Client against the fake Hub in
// upstreamtest, so what upstream does on the wire is proven here and a
// failure points at this package rather than at the mirror.

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// hubClient is a client of hub whose backoffs last a millisecond, so tests
// of what is retried do not wait out production delays. Every bound the
// policy sets (attempts, caps on one wait and on the total) is left as is.
func hubClient(t *testing.T, hub *upstreamtest.Hub, o Options) *Client {
	t.Helper()
	o.URL = hub.URL
	c, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	c.retry.base = time.Millisecond
	c.retry.randFloat = func() float64 { return 0 }
	return c
}

// seedAlpine stores a small image as library/alpine:latest.
func seedAlpine(t *testing.T, hub *upstreamtest.Hub) v1.Hash {
	t.Helper()
	return hub.AddImage("library/alpine", "latest", upstreamtest.SmallImage(t))
}

// fetchManifest gets repo:latest and fails the test unless it is want.
func fetchManifest(t *testing.T, c *Client, repo string, want v1.Hash) {
	t.Helper()
	m, err := c.Manifest(t.Context(), repo, "latest", nil)
	if err != nil {
		t.Fatalf("manifest %s: %v", repo, err)
	}
	if m.Digest != want {
		t.Fatalf("manifest %s: digest %s, want %s", repo, m.Digest, want)
	}
}

// observed is an Observer that counts requests by kind and status and can
// announce when one pair reaches a count, so a test can wait for the
// client to have reached a point without sleeping.
type observed struct {
	mu     sync.Mutex
	counts map[string]int
	tokens int
	when   map[string]chan struct{}
	target map[string]int
}

func newObserved() *observed {
	return &observed{counts: map[string]int{}, when: map[string]chan struct{}{}, target: map[string]int{}}
}

func observedKey(kind string, code int) string { return fmt.Sprintf("%s %d", kind, code) }

// reached returns a channel closed once kind has been answered code n times.
// Call it before the requests are made.
func (o *observed) reached(kind string, code, n int) <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := observedKey(kind, code)
	ch := make(chan struct{})
	o.when[k], o.target[k] = ch, n
	return ch
}

func (o *observed) Request(kind string, code int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := observedKey(kind, code)
	o.counts[k]++
	if ch, ok := o.when[k]; ok && o.counts[k] == o.target[k] {
		close(ch)
	}
}

func (o *observed) count(kind string, code int) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.counts[observedKey(kind, code)]
}

func (o *observed) Token() {
	o.mu.Lock()
	o.tokens++
	o.mu.Unlock()
}

func (o *observed) tokenCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.tokens
}

func (o *observed) Bytes(int)       {}
func (o *observed) RateLimit(int64) {}

// retryLog keeps the wait of every "retrying upstream request" record, so a
// test can see which delay the client chose without timing it.
type retryLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (l *retryLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *retryLog) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *retryLog) WithGroup(string) slog.Handler            { return l }

func (l *retryLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "retrying upstream request" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "wait" {
			l.mu.Lock()
			l.waits = append(l.waits, a.Value.Duration())
			l.mu.Unlock()
		}
		return true
	})
	return nil
}

func (l *retryLog) recorded() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Duration(nil), l.waits...)
}
