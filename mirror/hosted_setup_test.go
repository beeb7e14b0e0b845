package mirror_test

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Start-up refuses patterns that would take a mirrored registry's names,
// and warns of shadowed Docker Hub names and of pushes open to anyone.
func TestHostedPatternsAtStart(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	store, err := cache.OpenWithOptions(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	regs := []mirror.Registry{
		{Host: "docker.io", Upstream: client(t, hub, setup{})},
		{Host: "ghcr.io", Upstream: client(t, hub, setup{})},
	}
	for _, tc := range []struct {
		patterns []string
		refused  string // in the error; "" when accepted
		warns    []string
	}{
		{[]string{"ghcr.io/*"}, "ghcr.io", nil},
		{[]string{"team/*", "*/*"}, "would shadow", nil},
		{[]string{"[bad"}, "syntax error", nil},
		{[]string{"team/*"}, "", []string{"shadows Docker Hub", "anyone who can reach the mirror may push"}},
		{[]string{"ghcr.io"}, "", nil}, // a one-part name is no registry prefix
	} {
		var log bytes.Buffer
		_, err := mirror.New(mirror.Options{Store: store, Registries: regs, Hosted: tc.patterns,
			Log: slog.New(slog.NewTextHandler(&log, nil))})
		switch {
		case tc.refused == "" && err != nil:
			t.Errorf("%v refused: %v", tc.patterns, err)
		case tc.refused != "" && (err == nil || !strings.Contains(err.Error(), tc.refused)):
			t.Errorf("%v: error %v, want one naming %q", tc.patterns, err, tc.refused)
		}
		for _, w := range tc.warns {
			if !strings.Contains(log.String(), w) {
				t.Errorf("%v: no warning %q in %s", tc.patterns, w, log.String())
			}
		}
	}
}

// Pulls of hosted names are answered from local storage even when the
// same name exists on Docker Hub: the hub never sees them.
func TestHostedShadowsDockerHub(t *testing.T) {
	hub, m := startHosted(t, setup{hosted: []string{"someuser/*"}})
	hub.MustSeedStandard(t) // Hub has someuser/app:v1
	hub.Reset()
	resp, body := get(t, "GET", m.url+"/v2/someuser/app/manifests/v1", "Accept", dockerManifest)
	if resp.StatusCode != 404 {
		t.Fatalf("hosted name not pushed yet: %d %s, want 404", resp.StatusCode, body)
	}
	assertErrorCode(t, resp, body, "MANIFEST_UNKNOWN")
	noUpstream(t, hub)
}
