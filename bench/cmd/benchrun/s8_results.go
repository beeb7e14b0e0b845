package main

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/dustin/go-humanize"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
)

// farResults are scenario 8's figures, keyed by system name or by the
// reference ("direct", "crane direct").
type farResults struct {
	cold  map[string][]float64 // 8a: wall s per run
	stats map[string][]hubinfo.BlobStats
	fan   map[string][]fanout  // 8b
	image map[string][]float64 // 8c: wall s per run
	trips map[string][]hubinfo.Counts
}

func newFarResults() farResults {
	return farResults{cold: map[string][]float64{}, stats: map[string][]hubinfo.BlobStats{},
		fan: map[string][]fanout{}, image: map[string][]float64{}, trips: map[string][]hubinfo.Counts{}}
}

func (f *farResults) addCold(name string, seconds float64, st hubinfo.BlobStats) {
	f.cold[name] = append(f.cold[name], seconds)
	f.stats[name] = append(f.stats[name], st)
}

func (f *farResults) addFan(name string, r fanout) { f.fan[name] = append(f.fan[name], r) }

func (f *farResults) addImage(name string, seconds float64, c hubinfo.Counts) {
	f.image[name] = append(f.image[name], seconds)
	f.trips[name] = append(f.trips[name], c)
}

// farRows are scenario 8's lines of the results table.
func farRows(r *results) []row {
	f := r.far
	if len(f.cold) == 0 && len(f.image) == 0 {
		return nil
	}
	return append(farColdRows(r), farImageRow(r), farTripsRow(r))
}

func farColdRows(r *results) []row {
	f, size := r.far, r.setup.farBlob
	hub, hok := medianOf(f.cold[hubName])
	reg, rok := medianOf(f.cold[regName])
	d, dok := medianOf(f.cold["direct"])
	hr := runRatio(f.cold[hubName], f.cold["direct"])
	cold := row{id: "8a", figure: fmt.Sprintf("far link: cold %s, one client, wall s (median of %d; min–max; link floor %.2f s)",
		humanize.IBytes(uint64(size)), r.setup.repeat, float64(size)/float64(r.setup.farLink.LinkBandwidth)),
		hub: spread(hub, f.cold[hubName], hok), reg: spread(reg, f.cold[regName], rok),
		ref:      "direct, one stream " + spread(d, f.cold["direct"], dok),
		hubRatio: ratioOf(hr, hok && dok), regRatio: ratioOf(runRatio(f.cold[regName], f.cold["direct"]), rok && dok),
		target: "≤ 0.33× direct (≥ 3× faster)"}
	cold.verdict = verdict(hok && dok, hr <= 1.0/3)
	rd, rdok := medianOf(f.cold[rangedName])
	strong := row{id: "8a", figure: fmt.Sprintf("far link: the same, ratio to %d ranges straight from the hub at once (a download accelerator)", rangedStreams),
		hub: none, reg: none, ref: rangedName + " " + spread(rd, f.cold[rangedName], rdok),
		hubRatio: ratioOf(runRatio(f.cold[hubName], f.cold[rangedName]), hok && rdok),
		regRatio: ratioOf(runRatio(f.cold[regName], f.cold[rangedName]), rok && rdok), target: none, verdict: none}
	up := row{id: "8a", figure: "far link: upstream bytes ÷ blob size (worst run); CDN GETs with Range / most at once (median run)",
		hub: farUpFig(f.stats[hubName], size), reg: farUpFig(f.stats[regName], size), ref: none,
		hubRatio: none, regRatio: none, target: "≤ 1.02"}
	up.verdict = verdict(len(f.stats[hubName]) > 0, worstBytes(f.stats[hubName]) <= 1.02*float64(size))
	hs, hsok := farSoloRatio(f, hubName)
	rs, rsok := farSoloRatio(f, regName)
	fan := row{id: "8b", figure: fmt.Sprintf("far link: %d clients join the cold fill: slowest client's wall s, median of %d (ratio to own solo 8a time); upstream bytes ÷ blob (worst)", r.setup.clients, r.setup.repeat),
		hub: slowFig(f.fan[hubName]) + "; " + upFig(f.fan[hubName]), reg: slowFig(f.fan[regName]) + "; " + upFig(f.fan[regName]), ref: none,
		hubRatio: ratioOf(hs, hsok), regRatio: ratioOf(rs, rsok), target: none, verdict: none}
	return []row{cold, strong, up, fan}
}

func farImageRow(r *results) row {
	f := r.far
	hub, hok := medianOf(f.image[hubName])
	reg, rok := medianOf(f.image[regName])
	d, dok := medianOf(f.image["crane direct"])
	hr := runRatio(f.image[hubName], f.image["crane direct"])
	x := row{id: "8c", figure: fmt.Sprintf("far link: `crane pull` of a cold %d-layer image, wall s (median of %d; min–max)", r.setup.farLayers, r.setup.repeat),
		hub: spread(hub, f.image[hubName], hok), reg: spread(reg, f.image[regName], rok),
		ref:      "crane direct " + spread(d, f.image["crane direct"], dok),
		hubRatio: ratioOf(hr, hok && dok), regRatio: ratioOf(runRatio(f.image[regName], f.image["crane direct"]), rok && dok),
		target: "≤ 1.10× direct"}
	x.verdict = verdict(hok && dok, hr <= 1.10)
	return x
}

// farTripsRow is what 8c's pulls cost the far link, in the last run.
func farTripsRow(r *results) row {
	fig := func(name string) string {
		cs := r.far.trips[name]
		if len(cs) == 0 {
			return none
		}
		c := cs[len(cs)-1]
		return fmt.Sprintf("%d / %d / %d; %d+%d+%d; %d", c.Pings, c.Tokens, c.ManifestHeads+c.BlobHeads,
			c.RegistryConns, c.TokenConns, c.CDNConns, c.RoundTrips)
	}
	return row{id: "8c", figure: "far link: what one crane pull cost upstream (last run): pings / tokens / HEADs; registry+token+CDN connections; round trips",
		hub: fig(hubName), reg: fig(regName), ref: "crane direct " + fig("crane direct"), hubRatio: none, regRatio: none, target: none, verdict: none}
}

func medianOf(xs []float64) (float64, bool) { return median(xs), len(xs) > 0 }

func farSoloRatio(f farResults, name string) (float64, bool) {
	solo, ok := medianOf(f.cold[name])
	if !ok || solo <= 0 || len(f.fan[name]) == 0 {
		return 0, false
	}
	return medianSlowest(f.fan[name]) / solo, true
}

func worstBytes(sts []hubinfo.BlobStats) float64 {
	w := 0.0
	for _, s := range sts {
		w = max(w, float64(s.Bytes))
	}
	return w
}

func farUpFig(sts []hubinfo.BlobStats, size int64) string {
	if len(sts) == 0 {
		return none
	}
	s := slices.Clone(sts)
	slices.SortFunc(s, func(a, b hubinfo.BlobStats) int { return cmp.Compare(a.Bytes, b.Bytes) })
	mid := s[len(s)/2]
	return fmt.Sprintf("%.3f; %d / %d", worstBytes(sts)/float64(size), mid.RangedGets, mid.MaxActive)
}
