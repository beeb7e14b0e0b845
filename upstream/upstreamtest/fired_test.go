package upstreamtest

import (
	"bytes"
	"io"
	"net/http"
	"testing"
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
