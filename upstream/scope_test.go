package upstream

import (
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Hub answers a token fetched moments ago for a missing repository with
// 401 insufficient_scope; fetching another token would get the same.
// One token and one GET, then "not found".
func TestMissingRepositoryCostsOneTokenAndOneGet(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seedAlpine(t, hub)
	c := hubClient(t, hub, Options{})
	_, err := c.Manifest(t.Context(), "nobody/nothing", "latest", nil)
	if !IsNotFound(err) {
		t.Fatalf("error %v, want not found", err)
	}
	if got := hub.Counts(); got.Tokens != 1 || got.ManifestGets != 1 {
		t.Errorf("a missing repository cost %d tokens and %d GETs, want 1 and 1", got.Tokens, got.ManifestGets)
	}
}
