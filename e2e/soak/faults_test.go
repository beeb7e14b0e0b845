package soak

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// shot is a one-off fault armed on the Hub; the next requests it matches
// meet it.
type shot struct {
	name string
	arm  func(f *faulter)
}

// condition is a state of the upstream that lasts a while and then ends.
type condition struct {
	name string
	// on starts it and returns how long it lasts and how to end it.
	on func(f *faulter) (time.Duration, func())
}

// faulter switches faults on and off from its own random stream, so a run
// with the same SOAK_SEED arms the same faults in the same order.
type faulter struct {
	hub   *upstreamtest.Hub
	world *world
	tally *tally
	rng   *rand.Rand
	scale float64 // run length ÷ 30 minutes, at most 1: outages shrink with the run
}

var shots = []shot{
	{"reset mid-body", func(f *faulter) {
		for range 3 {
			d := f.blob()
			f.hub.ResetAfter(d, f.rng.Int64N(int64(len(f.world.blobs[d.Hex]))))
		}
	}},
	{"corrupt bytes", func(f *faulter) {
		for range 3 {
			f.hub.CorruptNext(f.blob(), 1)
		}
	}},
	{"429 with Retry-After", func(f *faulter) {
		f.hub.SetRetryAfter(time.Second)
		f.hub.FailNext(pickOf(f.rng, upstreamtest.EndpointManifest, upstreamtest.EndpointBlob), 1+f.rng.IntN(5), http.StatusTooManyRequests)
	}},
	{"503 burst", func(f *faulter) {
		f.hub.FailNext(pickOf(f.rng, upstreamtest.EndpointManifest, upstreamtest.EndpointBlob, upstreamtest.EndpointCDN,
			upstreamtest.EndpointTags, upstreamtest.EndpointReferrers), 3+f.rng.IntN(10), http.StatusServiceUnavailable)
	}},
	{"token endpoint failure", func(f *faulter) {
		f.hub.FailNext(upstreamtest.EndpointToken, 1+f.rng.IntN(4), pickOf(f.rng, http.StatusInternalServerError, http.StatusServiceUnavailable))
	}},
	{"stall mid-body", func(f *faulter) {
		d := f.blob()
		g := f.hub.Hold(d, f.rng.Int64N(int64(len(f.world.blobs[d.Hex]))))
		// A stall ends on its own, in a reset or by carrying on; the Hub's
		// Close ends it at the latest.
		end := g.Release
		if f.rng.IntN(3) == 0 {
			end = g.Break
		}
		time.AfterFunc(time.Duration(1+f.rng.IntN(6))*time.Second, end)
	}},
	{"retag in use", func(f *faulter) {
		r := f.world.repos[f.rng.IntN(len(f.world.repos))]
		f.world.retag(r, r.tags[f.rng.IntN(len(r.tags))], r.images[f.rng.IntN(len(r.images))])
	}},
}

var conditions = []condition{
	{"upstream outage", func(f *faulter) (time.Duration, func()) {
		f.hub.SetOffline(true)
		lo := max(3*time.Second, time.Duration(10*f.scale*float64(time.Second)))
		hi := max(lo+2*time.Second, time.Duration(60*f.scale*float64(time.Second)))
		return lo + time.Duration(f.rng.Int64N(int64(hi-lo))), func() { f.hub.SetOffline(false) }
	}},
	{"slow link", func(f *faulter) (time.Duration, func()) {
		f.hub.SetBandwidth(int64(256<<10 + f.rng.IntN(2<<20)))
		return f.span(), func() { f.hub.SetBandwidth(0) }
	}},
	{"latency", func(f *faulter) (time.Duration, func()) {
		f.hub.SetLatency(time.Duration(100+f.rng.IntN(900)) * time.Millisecond)
		return f.span(), func() { f.hub.SetLatency(0) }
	}},
}

// blob picks any blob of the working set; big and small alike, because a
// cached blob's fault waits for its next fill, which eviction brings.
func (f *faulter) blob() v1.Hash {
	r := f.world.repos[f.rng.IntN(len(f.world.repos))]
	info := f.world.manifests[r.images[f.rng.IntN(len(r.images))].Hex]
	if len(info.children) > 0 {
		info = f.world.manifests[info.children[f.rng.IntN(len(info.children))].Hex]
	}
	return info.blobs[f.rng.IntN(len(info.blobs))]
}

func (f *faulter) span() time.Duration {
	return max(2*time.Second, time.Duration(float64(5+f.rng.IntN(16))*max(f.scale, 0.2)*float64(time.Second)))
}

func pickOf[T any](rng *rand.Rand, xs ...T) T { return xs[rng.IntN(len(xs))] }

// runShots arms a shot every gap until ctx ends.
func (f *faulter) runShots(ctx context.Context, gap func() time.Duration) {
	f.every(ctx, gap, len(shots), func(k int) {
		shots[k].arm(f)
		f.tally.event("fault armed: "+shots[k].name, 1)
	})
}

// runConditions holds one condition at a time, with gaps between them.
func (f *faulter) runConditions(ctx context.Context, gap func() time.Duration) {
	f.every(ctx, gap, len(conditions), func(k int) {
		c := conditions[k]
		d, off := c.on(f)
		f.tally.event("condition: "+c.name, 1)
		f.tally.event("condition seconds: "+c.name, int64(d/time.Second))
		sleepCtx(ctx, d)
		off()
	})
}

// every calls do with one of n kinds after each gap until ctx ends: first
// every kind once in a shuffled order, so even a short run meets them all,
// then at random.
func (f *faulter) every(ctx context.Context, gap func() time.Duration, n int, do func(k int)) {
	order := f.rng.Perm(n)
	for i := 0; sleepCtx(ctx, gap()); i++ {
		k := f.rng.IntN(n)
		if i < len(order) {
			k = order[i]
		}
		do(k)
	}
}

// sleepCtx waits d or until ctx ends, and reports whether the whole d
// passed. The schedule of faults is made of time; nothing waits on it for
// synchronisation.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
