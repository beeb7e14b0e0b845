package upstream

import (
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// A 429 with a Retry-After beyond what a client waits is not retried, and
// keeps every request to the registry, of any kind, from being sent until
// it passes; then requests go out again.
func TestRateLimitCooldown(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	want := seedAlpine(t, hub)
	c := hubClient(t, hub, Options{})
	var mu sync.Mutex
	now := time.Now()
	c.pause.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	hub.SetRetryAfter(30 * time.Second)
	hub.FailNext(upstreamtest.EndpointManifest, 1, http.StatusTooManyRequests)

	for i := range 3 {
		_, err := c.Manifest(t.Context(), "library/alpine", "latest", nil)
		var se *StatusError
		if !errors.As(err, &se) || se.StatusCode != http.StatusTooManyRequests || se.RetryAfter != 30*time.Second {
			t.Fatalf("request %d: %v, want 429 with 30s left", i, err)
		}
	}
	if _, err := c.BlobSize(t.Context(), "library/alpine", want); err == nil {
		t.Error("a blob HEAD went through during the cooldown")
	}
	if got := hub.Counts(); got.ManifestGets != 1 || got.BlobHeads != 0 {
		t.Errorf("during the cooldown upstream saw %+v, want 1 manifest GET", got)
	}
	mu.Lock()
	now = now.Add(31 * time.Second)
	mu.Unlock()
	fetchManifest(t, c, "library/alpine", want)
}
