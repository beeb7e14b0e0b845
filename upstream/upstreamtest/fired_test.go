package upstreamtest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"
)

// A fault counts when it hits a request, not when it is armed: a soak arms
// faults on blobs the mirror may never fetch again.
func TestFaultsFiredCountsWhatHit(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 64<<10)
	h.ResetAfter(d, 100)
	h.CorruptNext(d, 2)
	h.FailNext(EndpointCDN, 1, http.StatusServiceUnavailable)
	if got := h.FaultsFired(); got != (FaultCounts{}) {
		t.Fatalf("armed only: %+v, want zero", got)
	}
	loc := redirect(t, h, d, tok)
	if r := do(t, http.MethodGet, loc, nil); r.status != http.StatusServiceUnavailable {
		t.Fatalf("first GET %d, want the injected 503", r.status)
	}
	resp := cdnGet(t, loc)
	if _, err := io.ReadAll(resp.Body); err == nil {
		t.Fatal("reset body ended cleanly")
	}
	want := FaultCounts{Failures: 1, Resets: 1, Corruptions: 1}
	if got := h.FaultsFired(); got != want {
		t.Fatalf("fired %+v, want %+v", got, want)
	}
	h.DisarmFaults()
	if r := do(t, http.MethodGet, loc, nil); !bytes.Equal(r.body, content) {
		t.Fatal("after DisarmFaults the second armed corruption still fired")
	}
	if got := h.FaultsFired(); got != want {
		t.Fatalf("after disarm %+v, want %+v kept", got, want)
	}
}

func TestCorruptedFormIsWhatCorruptNextSends(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 4096)
	h.CorruptNext(d, 1)
	r := do(t, http.MethodGet, redirect(t, h, d, tok), nil)
	if want := CorruptedForm(content); !bytes.Equal(r.body, want) || bytes.Equal(want, content) {
		t.Fatal("CorruptedForm differs from the corrupted body, or is no corruption")
	}
}

func TestDropIdleConnections(t *testing.T) {
	h := New(t, Options{})
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr}
	get := func() {
		resp, err := c.Get(h.URL + "/v2/")
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	get()
	get()
	if n := h.Counts().RegistryConns; n != 1 {
		t.Fatalf("%d connections for two requests, want 1 kept alive", n)
	}
	h.DropIdleConnections()
	deadline := time.Now().Add(5 * time.Second)
	for h.Counts().RegistryConns != 2 {
		if time.Now().After(deadline) {
			t.Fatal("the client still reuses its connection after DropIdleConnections")
		}
		get() // a request on the dropped connection fails over to a new one
	}
}
