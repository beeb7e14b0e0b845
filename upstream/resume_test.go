package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// readBlob reads the whole of library/big's blob d through the client, as
// the mirror does, and returns what the caller saw. The deadline only turns
// a client that never resumes into a failure instead of a hung test.
func readBlob(t *testing.T, c *Client, d v1.Hash) ([]byte, int64, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	body, size, err := c.Blob(ctx, "library/big", d)
	if err != nil {
		t.Fatalf("open blob: %v", err)
	}
	defer body.Close()
	got, err := io.ReadAll(body)
	return got, size, err
}

// A body the CDN drops part-way is picked up with a Range request from the
// byte it broke at, so nothing is fetched twice and the caller reads one
// unbroken, correct stream.
func TestResumeAfterReset(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	content, d := hub.AddTestBlob(t, "library/big", 64<<10)
	c := hubClient(t, hub, Options{})
	hub.ResetAfter(d, 10000)
	hub.ResetAfter(d, 20000) // the second break is 20000 bytes into the resumed body
	got, size, err := readBlob(t, c, d)
	if err != nil || size != int64(len(content)) || len(got) != len(content) || blobtest.Digest(got) != d {
		t.Fatalf("read %d bytes of %d (digest %s), %v; want all %d, digest %s", len(got), size, blobtest.Digest(got), err, len(content), d)
	}
	if got, want := hub.CDNRanges(d), []string{"", "bytes=10000-", "bytes=30000-"}; !slices.Equal(got, want) {
		t.Errorf("CDN saw Ranges %q, want %q", got, want)
	}
	// CDNBytes is not compared: the fake counts a write after the client may
	// already have read it. The Ranges show that nothing was asked for twice.
	if c := hub.Counts(); c.BlobGets != 3 || c.Tokens != 1 {
		t.Errorf("two resets: %+v; want 3 registry GETs (one per CDN GET), 1 token", c)
	}
}

// A body that goes silent is given up after the stall timeout and resumed
// where it stopped. The first response is held at a gate that is never
// released, so the read can only complete through a resume.
func TestResumeAfterStall(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	content, d := hub.AddTestBlob(t, "library/big", 64<<10)
	c := hubClient(t, hub, Options{StallTimeout: 250 * time.Millisecond})
	gate := hub.Hold(d, 10000)
	got, _, err := readBlob(t, c, d)
	if err != nil || blobtest.Digest(got) != d {
		t.Fatalf("read %d bytes (digest %s), %v; want all %d, digest %s", len(got), blobtest.Digest(got), err, len(content), d)
	}
	select {
	case <-gate.Reached():
	default:
		t.Error("the first response never reached its gate")
	}
	if got, want := hub.CDNRanges(d), []string{"", "bytes=10000-"}; !slices.Equal(got, want) {
		t.Errorf("CDN saw Ranges %q, want %q", got, want)
	}
}

// A blob that keeps breaking is resumed a bounded number of times; then the
// caller gets ErrUnreachable and the bytes that did arrive.
func TestResumesAreBounded(t *testing.T) {
	const chunk = 1000
	hub := upstreamtest.New(t, upstreamtest.Options{})
	content, d := hub.AddTestBlob(t, "library/big", 64<<10)
	c := hubClient(t, hub, Options{})
	for range maxResumes + 3 {
		hub.ResetAfter(d, chunk)
	}
	got, _, err := readBlob(t, c, d)
	if !errors.Is(err, ErrUnreachable) {
		t.Errorf("error %v, want ErrUnreachable", err)
	}
	gets := maxResumes + 1
	if len(got) != gets*chunk || !slices.Equal(got, content[:len(got)]) {
		t.Errorf("caller read %d bytes, want the first %d", len(got), gets*chunk)
	}
	if ranges := hub.CDNRanges(d); len(ranges) != gets || ranges[gets-1] != fmt.Sprintf("bytes=%d-", (gets-1)*chunk) {
		t.Errorf("CDN saw Ranges %q, want %d GETs, the last from byte %d", ranges, gets, (gets-1)*chunk)
	}
}
