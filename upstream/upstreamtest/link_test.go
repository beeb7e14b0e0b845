package upstreamtest

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

// getWith fetches u with c and returns the body.
func getWith(t *testing.T, c *http.Client, u string, hdr http.Header) []byte {
	t.Helper()
	return doWith(t, c, http.MethodGet, u, hdr).body
}

// fetchBody is getWith for a test's goroutines, which must not call Fatal:
// an error is returned as the body's absence.
func fetchBody(u string, hdr http.Header) []byte {
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := (&http.Client{Transport: &http.Transport{}}).Do(req)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return b
}

func TestConnectionsCounted(t *testing.T) {
	h := New(t, Options{})
	keep := &http.Client{Transport: &http.Transport{}}
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	for range 3 {
		getWith(t, keep, h.URL+"/v2/", nil)
		getWith(t, keep, h.Realm, nil)
	}
	if c := h.Counts(); c.RegistryConns != 1 || c.TokenConns != 1 || c.Pings != 3 {
		t.Fatalf("kept alive: %+v", c)
	}
	h.Reset()
	for range 3 {
		getWith(t, fresh, h.URL+"/v2/", nil)
	}
	if c := h.Counts(); c.RegistryConns != 3 || c.CDNConns != 0 {
		t.Fatalf("no keep-alive: %+v", c)
	}
}

// RTT is charged per request and once more per new connection, on every
// listener, the token service included.
func TestRTTChargesHandshakeOnce(t *testing.T) {
	h, d, _, tok := blobHub(t, Options{RTT: 5 * time.Millisecond}, 1000)
	h.Reset() // blobHub's token request
	keep := &http.Client{Transport: &http.Transport{}}
	for range 3 {
		getWith(t, keep, h.URL+"/v2/", nil)
		getWith(t, keep, h.Realm, nil)
	}
	if c := h.Counts(); c.RoundTrips != 3+1+3+1 {
		t.Fatalf("6 requests on 2 kept connections: %d round trips, want 8", c.RoundTrips)
	}
	h.Reset()
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true},
		CheckRedirect: client.CheckRedirect}
	loc := redirect(t, h, d, tok) // the shared client: a new connection
	getWith(t, fresh, loc, nil)
	getWith(t, fresh, loc, nil)
	if c := h.Counts(); c.RoundTrips != 2+2+2 {
		t.Fatalf("3 requests on 3 new connections: %d round trips, want 6", c.RoundTrips)
	}
	h.SetRTT(0)
	h.Reset()
	getWith(t, fresh, loc, nil)
	if c := h.Counts(); c.RoundTrips != 0 {
		t.Fatalf("RTT off: %d round trips", c.RoundTrips)
	}
}

// The one timed check that the RTT is real time: a lower bound.
func TestRTTDelays(t *testing.T) {
	h := New(t, Options{})
	h.SetRTT(50 * time.Millisecond)
	start := time.Now()
	getWith(t, &http.Client{Transport: &http.Transport{}}, h.Realm, nil)
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Errorf("first token request on a new connection answered after %v, want ≥ 2 RTT", el)
	}
}

func TestBandwidthPacesInChunks(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 64<<10)
	loc := redirect(t, h, d, tok)
	if body := getWith(t, client, loc, nil); !bytes.Equal(body, content) {
		t.Fatal("uncapped body differs")
	}
	if c := h.Counts(); c.CapWaits != 0 || c.LinkWaits != 0 {
		t.Fatalf("uncapped: %+v", c)
	}
	const rate = 512 << 10 // 64 KiB in 7 chunks of ≤ 10 KiB, 20 ms apart
	h.SetBandwidth(rate)
	start := time.Now()
	if body := getWith(t, client, loc, nil); !bytes.Equal(body, content) {
		t.Fatal("capped body differs")
	}
	// A lower bound holds however loaded the machine is: the last chunk may
	// not leave before its share of the schedule (a busy writer that is
	// already late skips the pause, so the count of waits can't be asserted).
	lastChunkDue := time.Duration(float64(len(content)-rate/50) / rate * float64(time.Second))
	if el := time.Since(start); el < lastChunkDue-minPause {
		t.Fatalf("capped at 512 KiB/s: 64 KiB took %v, want ≥ %v", el, lastChunkDue-minPause)
	}
	if c := h.Counts(); c.LinkWaits != 0 {
		t.Fatalf("capped at 512 KiB/s: %d waits for the shared link, want 0 (none is set)", c.LinkWaits)
	}
}

// Two bodies on a shared link take as long as both back to back: a lower
// bound on time, the only way to see that they share one capacity.
func TestLinkBandwidthIsShared(t *testing.T) {
	const size, rate = 256 << 10, 2 << 20
	h, d, content, tok := blobHub(t, Options{LinkBandwidth: rate}, size)
	loc := redirect(t, h, d, tok)
	start := time.Now()
	var wg sync.WaitGroup
	bodies := make([][]byte, 2)
	for i := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			bodies[i] = fetchBody(loc, nil)
		}()
	}
	wg.Wait()
	el := time.Since(start)
	for _, b := range bodies {
		if !bytes.Equal(b, content) {
			t.Fatal("body differs")
		}
	}
	c := h.Counts()
	if c.LinkWaits < 4 || c.CapWaits != 0 || c.CDNBytes != 2*size {
		t.Fatalf("counts %+v", c)
	}
	if want := time.Duration(2*size) * time.Second / rate * 9 / 10; el < want {
		t.Errorf("2 × 256 KiB over a 2 MiB/s link took %v, want ≥ %v", el, want)
	}
}

// BlobStats sees parallel ranged connections while they are held open.
func TestBlobStatsConcurrentRanges(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 10000)
	loc := redirect(t, h, d, tok)
	gates := []*Gate{h.Hold(d, 100), h.Hold(d, 100)}
	var wg sync.WaitGroup
	got := make([][]byte, 2)
	for i, rng := range []string{"bytes=0-4999", "bytes=5000-"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got[i] = fetchBody(loc, http.Header{"Range": {rng}})
		}()
	}
	for _, g := range gates {
		wait(t, g.Reached(), "gate")
	}
	if s := h.BlobStats(d); s.Active != 2 || s.MaxActive != 2 || s.RangedGets != 2 {
		t.Fatalf("while held: %+v", s)
	}
	for _, g := range gates {
		g.Release()
	}
	wg.Wait()
	if !bytes.Equal(append(got[0], got[1]...), content) {
		t.Fatal("ranges do not add up to the blob")
	}
	getWith(t, client, loc, nil)
	// Active is not checked here: a handler may still be returning after
	// its client read the last byte.
	s := h.BlobStats(d)
	if s.Active = 0; s != (BlobStats{Gets: 3, RangedGets: 2, Bytes: 20000, MaxActive: 2}) {
		t.Fatalf("after: %+v", s)
	}
	h.Reset()
	if s := h.BlobStats(d); s != (BlobStats{}) {
		t.Fatalf("after Reset: %+v", s)
	}
}
