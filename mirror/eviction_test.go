package mirror_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/hubmirror/hubmirror/cache/cachetest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// Pulling three times more than the cache holds ends under the cap, and a
// tag whose layers were evicted still pulls: the mirror fetches them again.
func TestEvictedImagesPullAgain(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	const images, cap = 8, 256 << 10 // ~3x the cap in all
	for i := 0; i < images; i++ {
		img, err := upstreamtest.Image(2, 48<<10, false) // ~100 KiB of layers each
		if err != nil {
			t.Fatal(err)
		}
		hub.AddImage(fmt.Sprintf("library/img%d", i), "latest", img)
	}
	dir := t.TempDir()
	m := startMirror(t, hub, setup{dataDir: dir, maxSize: cap})
	pull := func(i int) {
		t.Helper()
		ref, err := name.ParseReference(fmt.Sprintf("%s/library/img%d:latest", m[len("http://"):], i), name.Insecure)
		if err != nil {
			t.Fatal(err)
		}
		img, err := remote.Image(ref)
		if err == nil {
			err = validate.Image(img)
		}
		if err != nil {
			t.Fatalf("pull img%d: %v", i, err)
		}
	}
	for i := 0; i < images; i++ {
		pull(i)
	}
	var used int64
	for try := 0; try < 500; try++ { // the evictor runs in the background
		if used, _ = cachetest.DiskUsage(t, dir); used <= cap {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if used > cap {
		t.Fatalf("cache holds %d bytes after pulling %d images, cap %d", used, images, cap)
	}
	before := hub.Counts().CDNGets
	pull(0) // its layers were evicted long ago
	if hub.Counts().CDNGets == before {
		t.Error("img0 pulled again without fetching anything: the test evicted nothing")
	}
	hub.Reset()
	pull(images - 1) // the most recent is still warm
	if got := hub.Counts().CDNGets; got != 0 {
		t.Errorf("the most recent image fetched %d blobs upstream", got)
	}
}
