package e2e

import (
	"io"
	"net/http"
	"strings"
	"syscall"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// A kill -9 of the real binary in the middle of a 32 MiB download keeps
// what it had checkpointed; the restarted mirror continues from there, so
// the blob costs upstream well under 1.5 times its size, and comes out
// verified.
func TestKilledMidFillContinuesAfterRestart(t *testing.T) {
	const size, held, read = 32 << 20, 24 << 20, 23 << 20
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", size)
	dir := t.TempDir()
	args := []string{"--upstream", hub.URL, "--fill-piece-size", "8MiB"}
	h := runHubmirror(t, dir, args...)
	gate := hub.Hold(d, held)
	url := "/v2/library/big/blobs/" + d.String()

	resp, err := http.Get(h.URL + url)
	if err != nil {
		t.Fatal(err)
	}
	// The mirror checkpoints every piece size as it writes, before it
	// writes on: once a client has 23 MiB, the map names at least 16.
	if _, err := io.CopyN(io.Discard, resp.Body, read); err != nil {
		t.Fatalf("reading the first %d bytes: %v", read, err)
	}
	if err := h.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-h.proc.Done()
	h.stopped = true
	resp.Body.Close()
	gate.Break()

	h = runHubmirror(t, dir, args...)
	resp, err = http.Get(h.URL + url)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 || blobtest.Digest(body) != d {
		t.Fatalf("after the restart: %d, %d bytes, %v", resp.StatusCode, len(body), err)
	}
	st := hub.BlobStats(d)
	ranges := hub.CDNRanges(d)
	t.Logf("CDN: %d bytes in %d GETs (%s) for a %d-byte blob", st.Bytes, st.Gets, strings.Join(ranges, ", "), size)
	if st.Bytes > size*3/2 {
		t.Errorf("CDN sent %d bytes for a %d-byte blob: the restart started over", st.Bytes, size)
	}
}
