package e2e

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// evictionWait bounds the wait for the background evictor after the
// pulls that push the cache over its cap.
const evictionWait = 30 * time.Second

// Under a small --cache-max-size, pulling mirrored images of twice the
// cap evicts mirrored content only: the hosted image, pushed before and
// not counted against the cap, still pulls whole with its digest, and
// nothing of it is ever asked of the hub.
func TestEvictionSparesHostedImages(t *testing.T) {
	t.Parallel()
	const capBytes, images = 2 << 20, 4 // 4 images of 1 MiB: twice the cap
	hub := upstreamtest.New(t, upstreamtest.Options{})
	for i := range images {
		img, err := upstreamtest.Image(2, 512<<10, false)
		if err != nil {
			t.Fatal(err)
		}
		hub.AddImage(fmt.Sprintf("library/big%d", i), "latest", img)
	}
	mirror := startHubmirror(t, "--upstream", hub.URL, "--hosted", "team/*", "--cache-max-size", fmt.Sprint(capBytes))
	host := hostOf(mirror)
	crane := goTool(t, craneModule)
	app := host + "/team/app:1"
	runTool(t, crane, "append", "--insecure", "-f", writeLayerTar(t, "app.bin", 3<<20/2), "-t", app)
	want := strings.TrimSpace(runTool(t, crane, "digest", "--insecure", app))

	for i := range images {
		runTool(t, crane, "pull", "--insecure", fmt.Sprintf("%s/library/big%d:latest", host, i), filepath.Join(t.TempDir(), "big.tar"))
	}
	waitEvicted(t, mirror, capBytes)

	pulled := filepath.Join(t.TempDir(), "app.tar")
	runTool(t, crane, "pull", "--insecure", app, pulled)
	runTool(t, crane, "validate", "--tarball", pulled)
	if got := strings.TrimSpace(runTool(t, crane, "digest", "--insecure", app)); got != want {
		t.Errorf("hosted image digest after eviction %s, want %s", got, want)
	}
	if n := hub.RequestsFor("team/app"); n != 0 {
		t.Errorf("%d requests for the hosted image reached the hub", n)
	}
}

// waitEvicted waits until the evictor has run and the cached (mirrored)
// bytes are back under the cap, reading /metrics.
func waitEvicted(t *testing.T, base string, capBytes float64) {
	t.Helper()
	deadline := time.Now().Add(evictionWait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		fams, _ := opsScrape(t, base)
		evicted := fams.sum("hubmirror_cache_evictions_total")
		hosted := fams.sum("hubmirror_hosted_size_bytes")
		used := fams.sum("hubmirror_cache_size_bytes") - hosted
		if evicted > 0 && used <= capBytes && hosted > 0 {
			t.Logf("evicted %v blobs; mirrored %v bytes, cap %v; hosted %v bytes", evicted, used, capBytes, hosted)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %v evictions, cache %v bytes over the cap %v", evictionWait, evicted, used, capBytes)
		}
		<-tick.C
	}
}
