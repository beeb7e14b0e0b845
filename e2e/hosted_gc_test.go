package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/dustin/go-humanize"

	"github.com/hubmirror/hubmirror/internal/proctest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Deleting a hosted manifest and collecting garbage reclaims the layer
// only it used, and keeps the base layer another image still shares.
func TestHostedGCReclaimsOnlyUnreferencedLayers(t *testing.T) {
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	dir := t.TempDir()
	args := []string{"--upstream", hub.URL, "--hosted", "team/*"}
	h := runHubmirror(t, dir, args...)
	host := hostOf(h.URL)
	crane := goTool(t, craneModule)
	base, app := host+"/team/base:1", host+"/team/app:1"
	runTool(t, crane, "append", "--insecure", "-f", writeLayerTar(t, "base.bin", 1<<20), "-t", base)
	runTool(t, crane, "append", "--insecure", "-b", base, "-f", writeLayerTar(t, "app.bin", 2<<20), "-t", app)
	layers := manifestLayers(t, crane, app)
	shared, own := layers[0], layers[1]
	appDigest := strings.TrimSpace(runTool(t, crane, "digest", "--insecure", app))
	runTool(t, crane, "delete", "--insecure", host+"/team/app@"+appDigest)

	h.Stop(t)
	out, err := proctest.Run(context.Background(), toolTimeout, offlineEnv(), buildHubmirror(t),
		"cache", "gc", "--data-dir", dir, "--hosted-gc-grace", "0s")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("hubmirror cache gc: %s", out)
	if n, bytes := reclaimed(t, out); n == 0 || bytes < 2<<20 {
		t.Errorf("gc removed %d blobs, %d bytes; want at least the app's own layer (%d bytes)", n, bytes, 2<<20)
	}

	h = runHubmirror(t, dir, args...)
	if resp, _ := httpDo(t, http.MethodHead, h.URL+"/v2/team/app/blobs/"+own, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the deleted image's own layer: HEAD %d, want 404", resp.StatusCode)
	}
	if resp, _ := httpDo(t, http.MethodHead, h.URL+"/v2/team/base/blobs/"+shared, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("the shared base layer: HEAD %d, want 200", resp.StatusCode)
	}
	runTool(t, crane, "validate", "--insecure", "--remote", hostOf(h.URL)+"/team/base:1")
	if n := hub.RequestsFor("team/base") + hub.RequestsFor("team/app"); n != 0 {
		t.Errorf("%d requests for hosted names reached the hub", n)
	}
}

func manifestLayers(t *testing.T, crane, ref string) []string {
	t.Helper()
	var m struct{ Layers []struct{ Digest string } }
	if err := json.Unmarshal([]byte(runTool(t, crane, "manifest", "--insecure", ref)), &m); err != nil || len(m.Layers) != 2 {
		t.Fatalf("manifest of %s: %v %+v", ref, err, m)
	}
	return []string{m.Layers[0].Digest, m.Layers[1].Digest}
}

var gcLine = regexp.MustCompile(`removed (\d+) blobs \(([^)]*)\)`)

// reclaimed reads "removed N blobs (2.1 MiB)" from `hubmirror cache gc`.
func reclaimed(t *testing.T, out string) (int, int64) {
	t.Helper()
	m := gcLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no summary in the gc output: %s", out)
	}
	n, _ := strconv.Atoi(m[1])
	return n, parseIBytes(t, m[2])
}

func parseIBytes(t *testing.T, s string) int64 {
	t.Helper()
	n, err := humanize.ParseBytes(s)
	if err != nil {
		t.Fatalf("size %q: %v", s, err)
	}
	return int64(n)
}
