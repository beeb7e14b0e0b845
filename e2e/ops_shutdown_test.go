package e2e

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

const (
	// shutdownBlobSize and shutdownBandwidth make the upstream stream last
	// about 2.7 s, long enough to send SIGTERM in the middle of it.
	shutdownBlobSize  = 4 << 20
	shutdownBandwidth = 3 << 19 // 1.5 MiB/s
	// shutdownDeadline is hubmirror's 30 s grace plus room to exit.
	shutdownDeadline = 35 * time.Second
)

// SIGTERM in the middle of a layer download: the client still gets the
// whole layer, hubmirror stops taking new connections, exits 0 within its
// grace period, and leaves a cache the next start serves the layer from
// without asking upstream, with no temp files behind.
func TestSIGTERMLetsStreamsFinish(t *testing.T) {
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{Bandwidth: shutdownBandwidth})
	content := make([]byte, shutdownBlobSize)
	rand.Read(content)
	d := hub.AddBlob("library/big", content)
	dataDir := t.TempDir()
	h := runHubmirror(t, dataDir, "--upstream", hub.URL, "--log-format", "json")
	url := h.URL + "/v2/library/big/blobs/" + d.String()

	stream := startBlobStream(t, url)
	term := time.Now()
	h.proc.Signal(syscall.SIGTERM)
	assertNewConnectionsRefused(t, h.URL)
	got := <-stream
	if got.err != nil || got.digest != d.String() || got.n != shutdownBlobSize {
		t.Errorf("stream after SIGTERM: %d bytes, digest %s, error %v; want %d bytes of %s", got.n, got.digest, got.err, shutdownBlobSize, d)
	}
	streamed := time.Since(term)
	assertExitsCleanly(t, h)
	t.Logf("after SIGTERM the stream ran %v more and hubmirror exited after %v", streamed.Round(time.Millisecond), time.Since(term).Round(time.Millisecond))
	if streamed < 500*time.Millisecond {
		t.Errorf("the stream ended %v after SIGTERM: too soon for the test to show anything", streamed)
	}
	assertNoTempFiles(t, dataDir)

	hub.Reset()
	again := runHubmirror(t, dataDir, "--upstream", hub.URL, "--log-format", "json")
	if resp, body := opsGet(t, http.MethodGet, again.URL+"/v2/library/big/blobs/"+d.String()); resp.StatusCode != http.StatusOK || opsSHA256Hex(body) != d.Hex {
		t.Errorf("after restart: %d with %d bytes, want the blob", resp.StatusCode, len(body))
	}
	if c := hub.Counts(); c.BlobGets != 0 || c.CDNGets != 0 {
		t.Errorf("after restart the blob came from upstream again: %+v", c)
	}
	again.Stop(t)
	assertLogHasNoWarnings(t, again)
}

type blobStreamResult struct {
	n      int64
	digest string
	err    error
}

// startStream starts a GET and returns once its first body bytes arrived,
// so the stream is provably in flight; the result comes on the channel.
func startBlobStream(t *testing.T, url string) <-chan blobStreamResult {
	t.Helper()
	resp, err := (&http.Client{Timeout: shutdownDeadline}).Get(url)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	hash := sha256.New()
	first, err := io.CopyN(hash, resp.Body, 64<<10)
	if err != nil {
		t.Fatalf("first bytes: %v", err)
	}
	out := make(chan blobStreamResult, 1)
	go func() {
		defer resp.Body.Close()
		rest, err := io.Copy(hash, resp.Body)
		out <- blobStreamResult{n: first + rest, digest: "sha256:" + hex.EncodeToString(hash.Sum(nil)), err: err}
	}()
	return out
}

// assertRefused checks that, once SIGTERM is in, a new connection is not
// served: the load balancer must move on to another replica.
func assertNewConnectionsRefused(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp, err := (&http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}).Get(base + "/v2/")
		if err != nil {
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Logf("new request after SIGTERM failed, though not with ECONNREFUSED: %v", err)
			}
			return
		}
		resp.Body.Close()
		if time.Now().After(deadline) {
			t.Errorf("new connections were still served 5 s after SIGTERM")
			return
		}
		time.Sleep(pollInterval)
	}
}

func assertExitsCleanly(t *testing.T, h *hubmirror) {
	t.Helper()
	select {
	case <-h.proc.Done():
	case <-time.After(shutdownDeadline):
		t.Fatalf("hubmirror still running %s after SIGTERM", shutdownDeadline)
	}
	if h.proc.Err() != nil {
		t.Errorf("hubmirror exited with %v after SIGTERM, want status 0", h.proc.Err())
	}
}

// assertNoTempFiles checks the cache's tmp/ is empty: the download was
// committed, not abandoned.
func assertNoTempFiles(t *testing.T, dataDir string) {
	t.Helper()
	// tmp/ keeps its subdirectories (partial/ for pieced fills); only
	// files in them would be leftovers.
	err := filepath.WalkDir(filepath.Join(dataDir, "tmp"), func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		t.Errorf("temp file %s left in the data dir after a clean shutdown", path)
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatal(err)
	}
}

// assertNoWarnings checks a start on the data dir found nothing to repair.
func assertLogHasNoWarnings(t *testing.T, h *hubmirror) {
	t.Helper()
	for _, r := range opsJSONLog(t, h.proc.LogPath()) {
		if lvl := r.str("level"); lvl == "WARN" || lvl == "ERROR" {
			t.Errorf("restart logged %s: %v", lvl, r)
		}
	}
}

func opsSHA256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
