package upstreamtest

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

func TestExpireTokens(t *testing.T) {
	h, _ := seeded(t, Options{})
	tok := token(t, h, "library/alpine", "", "")
	u := h.URL + "/v2/library/alpine/manifests/latest"
	h.ExpireTokens()
	r := do(t, http.MethodGet, u, bearer(tok))
	if r.status != 401 || !strings.HasSuffix(r.header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("expired by ExpireTokens: %d %q", r.status, r.header.Get("WWW-Authenticate"))
	}
	if r := do(t, http.MethodGet, u, bearer(token(t, h, "library/alpine", "", ""))); r.status != 200 {
		t.Fatalf("a token issued afterwards must be live: %d", r.status)
	}
}

func TestCDNRanges(t *testing.T) {
	h, d, _, tok := blobHub(t, Options{}, 5000)
	do(t, http.MethodGet, redirect(t, h, d, tok), nil)
	do(t, http.MethodGet, redirect(t, h, d, tok), http.Header{"Range": {"bytes=1234-"}})
	if got, want := h.CDNRanges(d), []string{"", "bytes=1234-"}; !slices.Equal(got, want) {
		t.Fatalf("CDNRanges = %q, want %q", got, want)
	}
	h.Reset()
	if got := h.CDNRanges(d); len(got) != 0 {
		t.Fatalf("after Reset: %q", got)
	}
}
