package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/dustin/go-humanize"
)

// manyRows hold scenario 12 to issue 14's target: aggregate MB/s of 500
// clients of one warm blob against the faster nginx mode under the same
// load, no errors, and the server's peak RSS.
func manyRows(r *results) []row {
	best := bestMany(r)
	hub, reg, ng := r.many[hubName], r.many[regName], r.many[best]
	hok, rok, nok := len(hub) > 0, len(reg) > 0, len(ng) > 0
	mbps := func(m manyResult) float64 { return m.mbps }
	hr, rr := runRatio(manyFigures(hub, mbps), manyFigures(ng, mbps)), runRatio(manyFigures(reg, mbps), manyFigures(ng, mbps))
	rate := row{id: "12", figure: fmt.Sprintf("%d clients of one warm %s blob: aggregate MB/s (median of %d rounds, min–max)", manyClients, humanize.IBytes(uint64(r.setup.manyBlob)), r.setup.repeat),
		hub: manyFig(hub, mbps, "%.0f"), reg: manyFig(reg, mbps, "%.0f"), ref: "best nginx (" + strings.TrimPrefix(best, "nginx ") + ") " + manyFig(ng, mbps, "%.0f"),
		hubRatio: ratioOf(hr, hok && nok), regRatio: ratioOf(rr, rok && nok), target: "≥ 0.9× best nginx, no errors"}
	rate.verdict = verdict(hok && nok, hr >= 0.9 && manyErrors(hub) == 0)
	errs := row{id: "12", figure: "500 clients: failed requests over all rounds; nginx modes MB/s (sendfile; buffered)",
		hub: fmt.Sprint(manyErrors(hub)), reg: fmt.Sprint(manyErrors(reg)),
		ref:      "sendfile " + manyFig(r.many[nginxSendfile], mbps, "%.0f") + "; buffered " + manyFig(r.many[nginxBuffered], mbps, "%.0f"),
		hubRatio: none, regRatio: none, target: "0", verdict: verdict(hok, manyErrors(hub) == 0)}
	rss := func(m manyResult) float64 { return float64(m.peakRSS) / (1 << 20) }
	peak := row{id: "12", figure: "500 clients: server peak RSS (VmHWM, reset before each round), MiB, worst round",
		hub: num(slices.Max(append(manyFigures(hub, rss), 0)), hok, "%.1f"), reg: num(slices.Max(append(manyFigures(reg, rss), 0)), rok, "%.1f"),
		ref: none, hubRatio: none, regRatio: none, target: "≤ 128 MiB"}
	peak.verdict = verdict(hok, slices.Max(append(manyFigures(hub, rss), 0)) <= 128)
	return []row{rate, errs, peak}
}

// bestMany is the nginx mode with the higher median.
func bestMany(r *results) string {
	mbps := func(m manyResult) float64 { return m.mbps }
	if median(manyFigures(r.many[nginxBuffered], mbps)) > median(manyFigures(r.many[nginxSendfile], mbps)) {
		return nginxBuffered
	}
	return nginxSendfile
}

func manyFigures(runs []manyResult, fig func(manyResult) float64) []float64 {
	return figuresOf(runs, fig)
}

func manyFig(runs []manyResult, fig func(manyResult) float64, format string) string {
	return medianSpread(figuresOf(runs, fig), format)
}

func manyErrors(runs []manyResult) int64 {
	var n int64
	for _, m := range runs {
		n += m.errors
	}
	return n
}

func manyNote(s setupNotes) string {
	return fmt.Sprintf("12: the %s blob is fetched once through each system, then %d rounds, each running nginx (both modes, as in #1), hubmirror and registry:2 in turn: "+
		"%d goroutines in benchrun, one keep-alive connection each, GET the blob over and over (256 KiB reads) for %s; MB/s = body bytes received ÷ the run's wall. "+
		"A request the deadline cuts is not an error; any other failure or non-200 is. The faster nginx mode by median is the reference; the ratio is the median of per-round ratios. "+
		"Peak RSS: VmHWM reset (/proc/PID/clear_refs) before each round. The clients' CPU (500 goroutines on the same 2 cores) is not counted and weighs on every system alike.",
		humanize.IBytes(uint64(s.manyBlob)), s.repeat, manyClients, s.manyDuration)
}
