package mirror_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// ranged GETs one range and checks it is answered 206 with exactly
// content[from:to].
func ranged(t *testing.T, url, rangeHeader string, content []byte, from, to int) {
	t.Helper()
	resp, body := get(t, "GET", url, "Range", rangeHeader)
	want := fmt.Sprintf("bytes %d-%d/%d", from, to-1, len(content))
	if resp.StatusCode != http.StatusPartialContent || resp.Header.Get("Content-Range") != want {
		t.Fatalf("%s: %d, Content-Range %q; want 206, %q", rangeHeader, resp.StatusCode, resp.Header.Get("Content-Range"), want)
	}
	if blobtest.Digest(body) != blobtest.Digest(content[from:to]) {
		t.Fatalf("%s: %d bytes that are not content[%d:%d]", rangeHeader, len(body), from, to)
	}
}

// A large blob on a link that caps each connection is fetched as ranged
// pieces at once: while the first piece is held, the last one arrives
// (a suffix range proves it), followers already stream the first bytes,
// and in the end every client's body is the blob while the CDN sent each
// byte once.
func TestLargeBlobIsFetchedAsParallelPieces(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{Bandwidth: 64 << 20})
	content, d := hub.AddTestBlob(t, "library/big", bigBlob)
	m := startMirror(t, hub, setup{})
	gate := hub.Hold(d, 1<<20) // the first piece's GET
	url := m + "/v2/library/big/blobs/" + d.String()

	pulls := []*pull{startPull(context.Background(), url), startPull(context.Background(), url)}
	waitFor(t, "the first piece to be held", gate.Reached())
	for i, p := range pulls {
		waitFor(t, fmt.Sprintf("client %d's first byte while the fill goes on", i), p.firstByte)
	}
	ranged(t, url, "bytes=-4096", content, len(content)-4096, len(content))
	gate.Release()
	for i, p := range pulls {
		if r := p.result(t); r.err != nil || r.n != bigBlob || r.digest != d.String() {
			t.Errorf("client %d: %d bytes, %s, %v", i, r.n, r.digest, r.err)
		}
	}
	st := hub.BlobStats(d)
	t.Logf("CDN: %d GETs (%d ranged), %d at most at once, %d bytes for %d", st.Gets, st.RangedGets, st.MaxActive, st.Bytes, bigBlob)
	if st.MaxActive < 2 || st.RangedGets < 2 {
		t.Errorf("CDN saw %d ranged GETs, %d at most at once; want pieces in parallel", st.RangedGets, st.MaxActive)
	}
	if st.Bytes > bigBlob*102/100 {
		t.Errorf("CDN sent %d bytes for a %d-byte blob", st.Bytes, bigBlob)
	}
}

// Closed and suffix ranges of a blob nobody has fetched yet are answered
// with exactly their bytes while the first piece is still held upstream;
// all of it is one fill. Past the end is 416, a multi-range the whole blob.
func TestRangesOnAMiss(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	content, d := hub.AddTestBlob(t, "library/big", bigBlob)
	m := startMirror(t, hub, setup{})
	gate := hub.Hold(d, 1<<20)
	url := m + "/v2/library/big/blobs/" + d.String()

	const at = 40<<20 + 12345 // inside a later piece
	ranged(t, url, fmt.Sprintf("bytes=%d-%d", at, at+999), content, at, at+1000)
	select {
	case <-gate.Reached():
	default:
		t.Fatal("the range was answered before the fill began: the test proves nothing")
	}
	ranged(t, url, "bytes=-100", content, len(content)-100, len(content))
	ranged(t, url, "bytes=100-199", content, 100, 200) // before the gate
	if resp, _ := get(t, "GET", url, "Range", fmt.Sprintf("bytes=%d-", bigBlob)); resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Errorf("a range past the end: %d, want 416", resp.StatusCode)
	}
	gate.Release()
	resp, body := get(t, "GET", url, "Range", "bytes=0-9,20-29")
	if resp.StatusCode != http.StatusOK || blobtest.Digest(body) != d {
		t.Errorf("multi-range: %d, %d bytes; want the whole blob", resp.StatusCode, len(body))
	}
	pieces := int64(bigBlob / mirror.DefaultFillPieceSize)
	if st := hub.BlobStats(d); st.Gets != pieces || st.Bytes != bigBlob {
		t.Errorf("CDN: %d GETs, %d bytes; want one fill: %d pieces, %d bytes", st.Gets, st.Bytes, pieces, bigBlob)
	}
}

// A range request moves its piece ahead of the others: with both workers
// held, a range near the end makes the last piece the next one fetched.
func TestRangeRaisesItsPiecesPriority(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	content, d := hub.AddTestBlob(t, "library/big", bigBlob)
	const piece = 8 << 20
	m := startMirror(t, hub, setup{parallelism: 2, pieceSize: piece})
	first, second := hub.Hold(d, 1<<20), hub.Hold(d, 1<<20)
	url := m + "/v2/library/big/blobs/" + d.String()
	p := startPull(context.Background(), url)
	waitFor(t, "the first piece to be held", first.Reached())
	waitFor(t, "the second piece to be held", second.Reached())

	req, _ := http.NewRequest("GET", url, nil)
	req.Header.Set("Range", "bytes=62914560-62915559") // 60 MiB: the last piece
	resp, err := http.DefaultClient.Do(req)            // headers: the range is known
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	second.Release()
	body, err := io.ReadAll(resp.Body)
	if err != nil || blobtest.Digest(body) != blobtest.Digest(content[60<<20:60<<20+1000]) {
		t.Fatalf("range: %d bytes, %v", len(body), err)
	}
	first.Release()
	if r := p.result(t); r.err != nil || r.digest != d.String() {
		t.Fatalf("pull: %v", r.err)
	}
	want := fmt.Sprintf("bytes=%d-%d", bigBlob-piece, bigBlob-1)
	if got := hub.CDNRanges(d); len(got) < 3 || got[2] != want {
		t.Errorf("CDN ranges %v: the third should be the wanted last piece, %s", got, want)
	}
}

// A fill broken after 24 of 32 MiB, its resume refused, keeps what it
// wrote; the next GET continues from there rather than from byte 0.
func TestFailedFillKeepsItsPieces(t *testing.T) {
	const size, broken = 32 << 20, 24 << 20
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", size)
	dir := t.TempDir()
	m := startMirror(t, hub, setup{dataDir: dir})
	// Two pieces of 16 MiB at once: the first held at its end, the second
	// broken after 8 MiB, and its resume refused.
	first, second := hub.Hold(d, broken), hub.Hold(d, broken-size/2)
	url := m + "/v2/library/big/blobs/" + d.String()
	p := startPull(context.Background(), url)
	waitFor(t, "the first piece", first.Reached())
	waitFor(t, "8 MiB of the second piece", second.Reached())
	hub.FailNext(upstreamtest.EndpointBlob, 1, http.StatusNotFound) // the resume finds it gone
	first.Release()
	second.Break()
	if r := p.result(t); r.err == nil {
		t.Fatal("the broken fill's client got a whole body")
	}
	if got := len(cachetest.Temps(t, dir)); got != 2 {
		t.Fatalf("tmp/ holds %d files; want the partial fill and its map", got)
	}
	resp, body := get(t, "GET", url)
	if resp.StatusCode != 200 || blobtest.Digest(body) != d {
		t.Fatalf("next GET: %d, %d bytes", resp.StatusCode, len(body))
	}
	st := hub.BlobStats(d)
	t.Logf("CDN sent %d bytes in %d GETs for a %d-byte blob", st.Bytes, st.Gets, size)
	if st.Bytes > size*3/2 {
		t.Errorf("CDN sent %d bytes for a %d-byte blob: the retry started over", st.Bytes, size)
	}
	if left := cachetest.Temps(t, dir); len(left) != 0 {
		t.Errorf("left in tmp/ after the blob was cached: %v", left)
	}
}

// A corrupt piece fails the digest: nothing is cached, no partial kept
// (which piece was bad is unknowable), no client gets a whole 200, and the
// next fill fetches the blob anew and succeeds.
func TestCorruptPieceIsNeverServedWhole(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", bigBlob)
	dir := t.TempDir()
	m := startMirror(t, hub, setup{dataDir: dir})
	// The fake CDN flips the blob's middle byte; of the pieces, only the
	// one holding it (the second) is corrupt.
	pieces := int(bigBlob / mirror.DefaultFillPieceSize)
	hub.CorruptNext(d, pieces)
	url := m + "/v2/library/big/blobs/" + d.String()
	pulls := []*pull{startPull(context.Background(), url), startPull(context.Background(), url)}
	for i, p := range pulls {
		if r := p.result(t); r.err == nil {
			t.Errorf("client %d got a complete body (%d bytes) with a corrupt piece in it", i, r.n)
		}
	}
	if _, err := os.Stat(cache.BlobPath(dir, d)); err == nil {
		t.Fatal("corrupt bytes were cached")
	}
	if left := cachetest.Temps(t, dir); len(left) != 0 {
		t.Errorf("a corrupt fill left %v", left)
	}
	resp, body := get(t, "GET", url)
	if resp.StatusCode != 200 || blobtest.Digest(body) != d {
		t.Fatalf("after corruption stopped: %d, %d bytes", resp.StatusCode, len(body))
	}
}

// A fill that writes nothing for the idle timeout fails, though no piece
// stalled long enough to be resumed, and keeps what it wrote; one that
// moves slowly runs past the idle timeout many times over and completes.
func TestOnlyAFillWithoutProgressIsCut(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", 4<<20)
	dir := t.TempDir()
	// The idle timeout is short for a test but long enough that a loaded
	// CI machine never starves a moving fill's writer that long.
	const idle = time.Second
	m := startMirror(t, hub, setup{dataDir: dir, idle: idle, stall: time.Hour})
	hub.Hold(d, 1<<20) // never released
	url := m + "/v2/library/big/blobs/" + d.String()
	if r := startPull(context.Background(), url).result(t); r.err == nil {
		t.Fatal("a fill with no progress completed")
	}
	if got := len(cachetest.Temps(t, dir)); got != 2 {
		t.Errorf("tmp/ holds %d files; want the idle fill's partial and its map", got)
	}

	slow := upstreamtest.New(t, upstreamtest.Options{Bandwidth: 4 << 20})
	_, d = slow.AddTestBlob(t, "library/big", 8<<20) // two seconds at the cap: twice the idle timeout
	m = startMirror(t, slow, setup{idle: idle})
	if r := startPull(context.Background(), m+"/v2/library/big/blobs/"+d.String()).result(t); r.err != nil || r.digest != d.String() {
		t.Errorf("a slow, moving fill: %d bytes, %v", r.n, r.err)
	}
}

// Pieces after the first go straight to the CDN URL the registry's
// redirect named; once the CDN refuses it (a signed URL expired), the next
// piece asks the registry for a fresh redirect, and no credentials ever
// reach the CDN.
func TestPiecesReuseTheRedirectUntilItIsRefused(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	_, d := hub.AddTestBlob(t, "library/big", bigBlob)
	m := startMirror(t, hub, setup{parallelism: 2})
	first, second := hub.Hold(d, 1<<20), hub.Hold(d, 1<<20)
	p := startPull(context.Background(), m+"/v2/library/big/blobs/"+d.String())
	waitFor(t, "the first piece to be held", first.Reached())
	waitFor(t, "the second piece to be held", second.Reached())
	if got := hub.Counts().BlobGets; got != 1 {
		t.Fatalf("registry blob GETs = %d with two pieces running, want 1: the second went to the CDN directly", got)
	}
	hub.FailNext(upstreamtest.EndpointCDN, 1, http.StatusForbidden) // as an expired signature
	second.Release()
	first.Release()
	if r := p.result(t); r.err != nil || r.digest != d.String() {
		t.Fatalf("pull: %d bytes, %v", r.n, r.err)
	}
	c := hub.Counts()
	if c.BlobGets != 2 || c.CDNAuthorized != 0 {
		t.Errorf("registry blob GETs = %d (want 2: the first, and one fresh redirect), CDN requests with credentials = %d", c.BlobGets, c.CDNAuthorized)
	}
	if st := hub.BlobStats(d); st.Bytes != bigBlob {
		t.Errorf("CDN sent %d bytes for a %d-byte blob", st.Bytes, bigBlob)
	}
}
