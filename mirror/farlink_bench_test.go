package mirror_test

import (
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// BenchmarkFarLinkPieceSize fills a cold 128 MiB blob through the mirror
// from a fake hub that models a far link (20 MB/s per connection, 200 MB/s
// shared, 100 ms round trips), once per piece size with four pieces at
// once, and once as one stream: the figures that chose
// DefaultFillPieceSize. MB/s is the blob's bytes over the time one client
// took to read it whole. Run with -benchtime=1x: each fill takes seconds.
func BenchmarkFarLinkPieceSize(b *testing.B) {
	const size = 128 << 20
	for _, c := range []struct {
		parallelism int
		piece       int64
	}{{1, 16 << 20}, {4, 4 << 20}, {4, 8 << 20}, {4, 16 << 20}, {4, 32 << 20}} {
		b.Run(fmt.Sprintf("parallel=%d/piece=%dMiB", c.parallelism, c.piece>>20), func(b *testing.B) {
			hub := upstreamtest.New(b, upstreamtest.Options{Bandwidth: 20e6, LinkBandwidth: 200e6, RTT: 100 * time.Millisecond})
			b.SetBytes(size)
			for b.Loop() {
				b.StopTimer()
				_, d := hub.AddTestBlob(b, "library/big", size) // the same bytes: a fresh cache makes it cold
				m := startMirrorUntilStopped(b, hub, setup{parallelism: c.parallelism, pieceSize: c.piece})
				b.StartTimer()
				resp, err := http.Get(m.url + "/v2/library/big/blobs/" + d.String())
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if err != nil || n != size {
					b.Fatalf("%d bytes, %v", n, err)
				}
				b.StopTimer()
				m.stop()
				b.StartTimer()
			}
		})
	}
}
