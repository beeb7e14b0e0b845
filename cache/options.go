package cache

import (
	"fmt"
	"log/slog"
	"time"
)

// Options shape a Store beyond where it lives.
type Options struct {
	// MaxSize caps the bytes of verified content; 0 means unbounded.
	MaxSize int64
	// LowWater is what the evictor frees down to once the cap is passed, so
	// that one eviction buys room for many fills; 0 means 90% of MaxSize.
	LowWater int64
	// Pins name images ("alpine:3.20", "ghcr.io/org/app@sha256:…") whose
	// manifests, configs and layers are never evicted.
	Pins []string
	// HostedGrace is how long pushed content no hosted manifest refers to
	// is kept before the hosted collector reclaims it; 0 means
	// DefaultHostedGrace.
	HostedGrace time.Duration
	// PartialMaxAge is how long a partial fill (partial.go) is kept for
	// the next fill of its digest; 0 means DefaultPartialMaxAge.
	PartialMaxAge time.Duration
	// MinFree is the free space on the data dir's filesystem that new
	// content must leave (see makeRoom); 0 means DefaultMinFree.
	MinFree int64
	Log     *slog.Logger

	rebuilding bool // Rebuild's open: a missing index is the point, not damage
}

// DefaultPartialMaxAge keeps a broken download long enough for a client's
// retries, or the next day's pull, to continue it.
const DefaultPartialMaxAge = 24 * time.Hour

// How often the background work runs. A minute of access times can be lost
// to a crash; that only makes the LRU order slightly less exact.
const (
	flushInterval = time.Minute
	evictInterval = time.Minute
	gcInterval    = 5 * time.Minute
	hostedGCEvery = 10 * time.Minute
)

func (o Options) normalise() (Options, []pin, error) {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.HostedGrace <= 0 {
		o.HostedGrace = DefaultHostedGrace
	}
	if o.PartialMaxAge <= 0 {
		o.PartialMaxAge = DefaultPartialMaxAge
	}
	if o.MinFree <= 0 {
		o.MinFree = DefaultMinFree
	}
	if o.MaxSize < 0 || o.LowWater < 0 {
		return o, nil, fmt.Errorf("cache size limits must not be negative")
	}
	if o.MaxSize > 0 && o.LowWater == 0 {
		o.LowWater = o.MaxSize / 10 * 9
	}
	if o.MaxSize > 0 && o.LowWater > o.MaxSize {
		return o, nil, fmt.Errorf("cache low watermark %d is above the cap %d", o.LowWater, o.MaxSize)
	}
	pins := make([]pin, 0, len(o.Pins))
	for _, p := range o.Pins {
		pn, err := parsePin(p)
		if err != nil {
			return o, nil, err
		}
		pins = append(pins, pn)
	}
	return o, pins, nil
}
