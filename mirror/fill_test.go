package mirror_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

const bigBlob = 64 << 20

// pull is one client's GET of a blob, reported in two steps so a test can
// see the first byte arrive while upstream is still held.
type pull struct {
	firstByte chan struct{}
	done      chan pullResult
}

type pullResult struct {
	n      int64
	digest string
	header http.Header
	err    error
}

// startPull GETs url with the header pairs in hdr; a Range header makes
// 206 the status it expects.
func startPull(ctx context.Context, url string, hdr ...string) *pull {
	p := &pull{firstByte: make(chan struct{}), done: make(chan pullResult, 1)}
	go func() {
		p.done <- p.run(ctx, url, hdr)
	}()
	return p
}

func (p *pull) run(ctx context.Context, url string, hdr []string) pullResult {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	want := http.StatusOK
	if req.Header.Get("Range") != "" {
		want = http.StatusPartialContent
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		close(p.firstByte)
		return pullResult{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != want {
		close(p.firstByte)
		return pullResult{err: fmt.Errorf("status %d, want %d", resp.StatusCode, want)}
	}
	h := sha256.New()
	first := make([]byte, 1)
	if _, err := io.ReadFull(resp.Body, first); err != nil {
		close(p.firstByte)
		return pullResult{err: err}
	}
	h.Write(first)
	close(p.firstByte)
	n, err := io.Copy(h, resp.Body)
	return pullResult{n: n + 1, digest: fmt.Sprintf("sha256:%x", h.Sum(nil)), header: resp.Header, err: err}
}

func waitFor(t *testing.T, what string, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

func (p *pull) result(t *testing.T) pullResult {
	t.Helper()
	select {
	case r := <-p.done:
		return r
	case <-time.After(60 * time.Second):
		t.Fatal("timed out waiting for a pull to end")
		return pullResult{}
	}
}

// Ten clients asking for one uncached blob at once cost one upstream
// download, and each of them streams it while it is still arriving.
func TestConcurrentMissesShareOneDownload(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", bigBlob)
	m := startMirror(t, hub, setup{})
	gate := hub.Hold(d, 1<<20)

	url := m + "/v2/library/big/blobs/" + d.String()
	pulls := make([]*pull, 10)
	for i := range pulls {
		pulls[i] = startPull(context.Background(), url)
	}
	waitFor(t, "upstream to hold the body", gate.Reached())
	for i, p := range pulls {
		waitFor(t, fmt.Sprintf("client %d's first byte while upstream is held", i), p.firstByte)
	}
	gate.Release()
	for i, p := range pulls {
		if r := p.result(t); r.err != nil || r.n != bigBlob || r.digest != d.String() {
			t.Errorf("client %d: %d bytes, %s, %v", i, r.n, r.digest, r.err)
		}
	}
	// One fill, in pieces: the first up to the threshold, then the rest.
	pieces := int64(1 + (bigBlob-mirror.DefaultFillPieceThreshold)/mirror.DefaultFillPieceSize)
	if got := hub.BlobGetsFor(d); got != pieces {
		t.Errorf("upstream served %d pieces of the blob, want %d", got, pieces)
	}
	if got := hub.Counts().BlobGets; got != pieces {
		t.Errorf("registry blob GETs = %d, want %d", got, pieces)
	}
	if got := hub.Counts().CDNBytes; got != bigBlob {
		t.Errorf("CDN sent %d bytes for one %d-byte blob", got, bigBlob)
	}
}

// The client that started a download leaving does not cancel it: the blob
// still ends up cached, and the next client gets it without upstream.
func TestFirstClientLeavingDoesNotCancelFill(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", 8<<20)
	dir := t.TempDir()
	m := startMirror(t, hub, setup{dataDir: dir})
	gate := hub.Hold(d, 1<<20)

	ctx, cancel := context.WithCancel(context.Background())
	p := startPull(ctx, m+"/v2/library/big/blobs/"+d.String())
	waitFor(t, "the first byte", p.firstByte)
	cancel()
	if r := p.result(t); r.err == nil {
		t.Fatal("the cancelled client read the whole blob; the test proves nothing")
	}
	gate.Release()
	waitForFile(t, cache.BlobPath(dir, d))

	resp, body := get(t, "GET", m+"/v2/library/big/blobs/"+d.String())
	if resp.StatusCode != 200 || blobtest.Digest(body).String() != d.String() {
		t.Fatalf("after the fill: %d, %s", resp.StatusCode, blobtest.Digest(body).String())
	}
	if got := hub.BlobGetsFor(d); got != 1 {
		t.Errorf("upstream served the blob %d times, want 1", got)
	}
}

// A download that breaks after bytes went out, and cannot be resumed,
// aborts every client's connection (never a 200 that ends short) and caches
// nothing; the next request starts a fresh download.
func TestBrokenFillAbortsEveryFollower(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", 8<<20)
	dir := t.TempDir()
	m := startMirror(t, hub, setup{dataDir: dir})
	gate := hub.Hold(d, 1<<20)

	url := m + "/v2/library/big/blobs/" + d.String()
	pulls := []*pull{startPull(context.Background(), url), startPull(context.Background(), url), startPull(context.Background(), url)}
	for _, p := range pulls {
		waitFor(t, "first byte", p.firstByte)
	}
	hub.FailNext(upstreamtest.EndpointBlob, 1, http.StatusNotFound) // the resume finds it gone
	gate.Break()
	for i, p := range pulls {
		if r := p.result(t); r.err == nil {
			t.Errorf("client %d: body ended cleanly after %d bytes of a broken download", i, r.n)
		}
	}
	if _, err := os.Stat(cache.BlobPath(dir, d)); err == nil {
		t.Fatal("a broken download became a cache entry")
	}
	// Only the partial fill is left, kept for the next try.
	want := []string{"partial/" + d.Hex, "partial/" + d.Hex + ".map"}
	if got := cachetest.Temps(t, dir); !slices.Equal(got, want) {
		t.Errorf("left in tmp/: %v, want %v", got, want)
	}

	resp, body := get(t, "GET", url)
	if resp.StatusCode != 200 || blobtest.Digest(body).String() != d.String() {
		t.Fatalf("retry: %d, %s", resp.StatusCode, blobtest.Digest(body).String())
	}
	if got := hub.BlobGetsFor(d); got != 2 {
		t.Errorf("upstream GETs = %d, want 2 (the broken one and the retry)", got)
	}
}

// A body that breaks mid-way is resumed with a Range request; clients see
// one unbroken, verified stream.
func TestBrokenBodyIsResumed(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", 8<<20)
	m := startMirror(t, hub, setup{})
	hub.ResetAfter(d, 3<<20)
	r := startPull(context.Background(), m+"/v2/library/big/blobs/"+d.String()).result(t)
	if r.err != nil || r.digest != d.String() {
		t.Fatalf("pull: %d bytes, %s, %v", r.n, r.digest, r.err)
	}
	c := hub.Counts()
	if got := hub.BlobGetsFor(d); got != 2 {
		t.Errorf("CDN GETs = %d, want 2 (the broken one and the resume)", got)
	}
	if c.CDNBytes > 8<<20+1<<20 {
		t.Errorf("CDN sent %d bytes for an 8 MiB blob: the resume started over", c.CDNBytes)
	}
}

// A body that goes silent counts as broken after the stall timeout.
func TestStalledBodyIsResumed(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", 4<<20)
	m := startMirror(t, hub, setup{stall: 200 * time.Millisecond})
	hub.Hold(d, 1<<20) // never released: upstream goes silent
	r := startPull(context.Background(), m+"/v2/library/big/blobs/"+d.String()).result(t)
	if r.err != nil || r.digest != d.String() {
		t.Fatalf("pull: %d bytes, %s, %v", r.n, r.digest, r.err)
	}
	// At least the stalled GET and its resume; a loaded machine may pause
	// a healthy body past the short stall timeout and resume once more.
	if got := hub.BlobGetsFor(d); got < 2 {
		t.Errorf("CDN GETs = %d: the stalled body was never resumed", got)
	}
}

// Bytes that fail their digest are never delivered as a complete blob.
func TestCorruptUpstreamBlobIsNeverServedWhole(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", 4<<20)
	dir := t.TempDir()
	m := startMirror(t, hub, setup{dataDir: dir})
	hub.CorruptNext(d, 1)

	url := m + "/v2/library/big/blobs/" + d.String()
	r := startPull(context.Background(), url).result(t)
	if r.err == nil {
		t.Fatalf("client got a complete body (%d bytes, %s) from corrupt upstream bytes", r.n, r.digest)
	}
	if _, err := os.Stat(cache.BlobPath(dir, d)); err == nil {
		t.Fatal("corrupt bytes were cached")
	}
	resp, body := get(t, "GET", url)
	if resp.StatusCode != 200 || blobtest.Digest(body).String() != d.String() {
		t.Fatalf("after corruption stopped: %d, %s", resp.StatusCode, blobtest.Digest(body).String())
	}
}

func waitForFile(t *testing.T, path string) {
	t.Helper()
	for i := 0; i < 3000; i++ {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
}

func assertEmptyDir(t *testing.T, dir string) {
	t.Helper()
	left, _ := os.ReadDir(dir)
	if len(left) != 0 {
		t.Errorf("%s holds %d leftovers", dir, len(left))
	}
}

// Past the limit of concurrent downloads, a new one waits its turn rather
// than failing.
func TestFillsBeyondTheLimitQueue(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, first := hub.AddTestBlob(t, "library/big", 2<<20)
	second := hub.AddBlob("library/big", []byte("the second blob"))
	m := startMirror(t, hub, setup{maxFills: 1})
	gate := hub.Hold(first, 1<<20)
	p1 := startPull(context.Background(), m+"/v2/library/big/blobs/"+first.String())
	waitFor(t, "the first download to start", gate.Reached())
	p2 := startPull(context.Background(), m+"/v2/library/big/blobs/"+second.String())
	time.Sleep(100 * time.Millisecond) // give a wrongly unqueued download the time to start
	if got := hub.BlobGetsFor(second); got != 0 {
		t.Fatalf("the second download started while the only slot was taken")
	}
	gate.Release()
	for _, p := range []*pull{p1, p2} {
		if r := p.result(t); r.err != nil {
			t.Fatal(r.err)
		}
	}
	if got := hub.BlobGetsFor(second); got != 1 {
		t.Errorf("second blob fetched %d times, want 1", got)
	}
}

// A client resuming a broken download asks for the rest with Range while
// the blob is still arriving, and gets exactly the rest. Its first byte
// arrives while upstream is held: it can only come from the fill, so the
// request has joined it rather than waited for the committed blob.
func TestRangeOnABlobStillArriving(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	content, d := hub.AddTestBlob(t, "library/big", 4<<20)
	met := metrics.Discard()
	m := startMirror(t, hub, setup{metrics: met})
	gate := hub.Hold(d, 1<<20)
	url := m + "/v2/library/big/blobs/" + d.String()
	first := startPull(context.Background(), url)
	waitFor(t, "the download to start", gate.Reached())

	ranged := startPull(context.Background(), url, "Range", "bytes=1000-")
	waitFor(t, "the ranged GET's first byte while upstream is held", ranged.firstByte)
	if got := testutil.ToFloat64(met.FillFollowers); got != 1 {
		t.Errorf("fill_followers_total = %v while upstream is held, want 1 (the ranged GET)", got)
	}
	gate.Release()
	r := ranged.result(t)
	if r.err != nil {
		t.Fatalf("ranged GET: %v", r.err)
	}
	if fr := first.result(t); fr.err != nil || fr.digest != d.String() {
		t.Errorf("first client: %d bytes, %s, %v", fr.n, fr.digest, fr.err)
	}
	if want := fmt.Sprintf("bytes 1000-%d/%d", len(content)-1, len(content)); r.header.Get("Content-Range") != want {
		t.Errorf("Content-Range = %q, want %q", r.header.Get("Content-Range"), want)
	}
	if r.n != int64(len(content)-1000) || r.digest != blobtest.Digest(content[1000:]).String() {
		t.Errorf("ranged body: %d bytes, not the blob's tail", r.n)
	}
	if got := hub.BlobGetsFor(d); got != 1 {
		t.Errorf("upstream GETs = %d, want 1", got)
	}
}
