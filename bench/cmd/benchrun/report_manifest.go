package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// wrkRows hold scenario 4 to issue 14's targets: per request kind,
// requests/s and p99 as ratios to nginx serving the same bytes as a file
// under the same wrk load (the machine's limit), paired by round.
func wrkRows(r *results) []row {
	n := r.setup.manifestRepeat
	rows, ahead := manifestTargetRows(r.manifest, n, "")
	if len(r.pinned) > 0 {
		pinned, pinnedAhead := manifestTargetRows(r.pinned, n, pinnedLabel)
		rows, ahead = append(rows, pinned...), ahead && pinnedAhead
	}
	_, measured := r.manifest["get-tag"][regName]
	rows = append(rows, manifestP50Row(r), manifestUpstreamRow(r),
		row{id: "4", figure: "warm manifests: hubmirror ahead of registry:2 (proxy) on every row above (req/s higher, p99 lower)",
			hub: none, reg: none, ref: none, hubRatio: none, regRatio: none, target: "ahead on every row", verdict: verdict(measured, ahead)})
	return rows
}

// pinnedLabel opens the figures of scenario 4's pinned pass (s4_pin.go).
const pinnedLabel = "pinned, servers on core " + serverCPU + " and wrk on core " + clientCPU + ": "

// manifestTargetRows are the rate, p99 and Go floor rows of every kind
// in runs, and whether hubmirror was ahead of registry:2 on all of them.
func manifestTargetRows(runs manifestRuns, rounds int, label string) (rows []row, ahead bool) {
	ahead = true
	for _, k := range manifestKinds {
		rate, p99, hubAhead := manifestKindRows(runs[k.key], rounds, k, label)
		rows = append(rows, rate, p99, goFloorRow(runs[k.key], k, label))
		ahead = ahead && hubAhead
	}
	return rows, ahead
}

func manifestKindRows(runs map[string][]wrkResult, n int, k manifestKind, label string) (rate, p99 row, hubAhead bool) {
	hub, reg, ng := runs[hubName], runs[regName], runs["nginx"]
	hok, rok, nok := len(hub) > 0, len(reg) > 0, len(ng) > 0
	rateOf := func(w wrkResult) float64 { return w.reqPerSec }
	p99Of := func(w wrkResult) float64 { return msf(w.p99) }
	rate = row{id: "4", figure: fmt.Sprintf("%swarm manifest %s, 16 conns: requests/s (median of %d rounds, min–max)", label, k.figure, n),
		hub: wrkFig(hub, rateOf, "%.0f"), reg: wrkFig(reg, rateOf, "%.0f"), ref: "nginx file " + wrkFig(ng, rateOf, "%.0f"),
		hubRatio: ratioOf(pairedRatio(hub, ng, rateOf), hok && nok), regRatio: ratioOf(pairedRatio(reg, ng, rateOf), rok && nok),
		target: none, verdict: none}
	if k.key == "get-tag" {
		rate.target = "≥ 0.75× nginx"
		rate.verdict = verdict(hok && nok && allOK(hub), pairedRatio(hub, ng, rateOf) >= 0.75)
	}
	p99 = row{id: "4", figure: fmt.Sprintf("%swarm manifest %s: p99 latency, ms (median, min–max)", label, k.figure),
		hub: wrkFig(hub, p99Of, "%.2f"), reg: wrkFig(reg, p99Of, "%.2f"), ref: "nginx file " + wrkFig(ng, p99Of, "%.2f"),
		hubRatio: ratioOf(pairedRatio(hub, ng, p99Of), hok && nok), regRatio: ratioOf(pairedRatio(reg, ng, p99Of), rok && nok),
		target: "≤ 1.5× nginx"}
	p99.verdict = verdict(hok && nok && allOK(hub), pairedRatio(hub, ng, p99Of) <= 1.5)
	hubAhead = hok && rok && wrkMedian(hub, rateOf) > wrkMedian(reg, rateOf) && wrkMedian(hub, p99Of) < wrkMedian(reg, p99Of)
	return rate, p99, hubAhead
}

// goFloorRow sets hubmirror beside bench/cmd/gofloor, a bare net/http
// handler serving the same bytes from memory in the same rounds: the
// share of nginx's figure a Go server keeps on this machine at all.
func goFloorRow(runs map[string][]wrkResult, k manifestKind, label string) row {
	hub, floor := runs[hubName], runs[goFloorName]
	ok := len(hub) > 0 && len(floor) > 0
	rateOf := func(w wrkResult) float64 { return w.reqPerSec }
	p99Of := func(w wrkResult) float64 { return msf(w.p99) }
	ref, ratio := none, none
	if len(floor) > 0 {
		ng := runs["nginx"]
		ref = fmt.Sprintf("%s %s req/s, p99 %s ms; ÷ nginx %s req/s, %s p99", goFloorName, wrkFig(floor, rateOf, "%.0f"), wrkFig(floor, p99Of, "%.2f"),
			ratioOf(pairedRatio(floor, ng, rateOf), len(ng) > 0), ratioOf(pairedRatio(floor, ng, p99Of), len(ng) > 0))
	}
	if ok {
		ratio = fmt.Sprintf("%s req/s, %s p99", ratioOf(pairedRatio(hub, floor, rateOf), true), ratioOf(pairedRatio(hub, floor, p99Of), true))
	}
	return row{id: "4", figure: fmt.Sprintf("%swarm manifest %s: the Go floor (bench/cmd/gofloor: net/http serving the same bytes from memory), same rounds; hubmirror ÷ floor", label, k.figure),
		hub: none, reg: none, ref: ref, hubRatio: ratio, regRatio: none, target: none, verdict: none}
}

func manifestP50Row(r *results) row {
	figs := func(name string) string {
		var parts []string
		for _, k := range manifestKinds {
			runs := r.manifest[k.key][name]
			parts = append(parts, num(wrkMedian(runs, func(w wrkResult) float64 { return msf(w.p50) }), len(runs) > 0, "%.2f"))
		}
		return strings.Join(parts, " / ")
	}
	return row{id: "4", figure: "warm manifests: p50 latency, ms (GET by tag / HEAD by tag / GET by digest)",
		hub: figs(hubName), reg: figs(regName), ref: "nginx file " + figs("nginx"), hubRatio: none, regRatio: none, target: none, verdict: none}
}

func manifestUpstreamRow(r *results) row {
	fig := func(name string) string {
		var heads, gets, non2xx int64
		measured := false
		for _, k := range manifestKinds {
			for _, w := range r.manifest[k.key][name] {
				heads, gets, non2xx, measured = heads+w.upstreamHeads, gets+w.upstreamGets, non2xx+w.non2xx, true
			}
		}
		if !measured {
			return none
		}
		return fmt.Sprintf("%d / %d; non-2xx %d", heads, gets, non2xx)
	}
	return row{id: "4", figure: "warm manifests: upstream manifest HEAD / GET during all the wrk runs, and non-2xx answers",
		hub: fig(hubName), reg: fig(regName), ref: none, hubRatio: none, regRatio: none, target: none, verdict: none}
}

// pairedRatio is the median over rounds of a's figure over b's in the same
// round.
func pairedRatio(a, b []wrkResult, fig func(wrkResult) float64) float64 {
	return runRatio(wrkFigures(a, fig), wrkFigures(b, fig))
}

func wrkMedian(runs []wrkResult, fig func(wrkResult) float64) float64 {
	return median(wrkFigures(runs, fig))
}

func wrkFigures(runs []wrkResult, fig func(wrkResult) float64) []float64 { return figuresOf(runs, fig) }

func wrkFig(runs []wrkResult, fig func(wrkResult) float64, format string) string {
	return medianSpread(figuresOf(runs, fig), format)
}

// figuresOf is one figure of each run.
func figuresOf[T any](runs []T, fig func(T) float64) []float64 {
	xs := make([]float64, len(runs))
	for i, r := range runs {
		xs[i] = fig(r)
	}
	return xs
}

// medianSpread is "median (min–max)", or the one figure, or none.
func medianSpread(xs []float64, format string) string {
	if len(xs) == 0 {
		return none
	}
	m := fmt.Sprintf(format, median(xs))
	if len(xs) < 2 {
		return m
	}
	return m + " (" + fmt.Sprintf(format, slices.Min(xs)) + "–" + fmt.Sprintf(format, slices.Max(xs)) + ")"
}

func allOK(runs []wrkResult) bool {
	return !slices.ContainsFunc(runs, func(w wrkResult) bool { return w.non2xx > 0 })
}

func manifestNote(s setupNotes) string {
	return fmt.Sprintf("4: one GET by tag and one by digest warm each cache; then %d rounds, each running `wrk -t2 -c16 -d%s --latency` with docker's Accept header "+
		"for GET by tag and GET by digest, and the same load of HEAD by tag from benchrun's own raw HTTP/1.1 client (16 keep-alive connections; wrk 4.1 cannot send HEAD, wg/wrk#198), on nginx, the Go floor, hubmirror and registry:2 in turn. "+
		"nginx serves the same manifest bytes as files at the same paths (/v2/<repo>/manifests/<tag> and …/<digest>): wrk and the server share the 2 cores, "+
		"so this is the latency the machine itself allows. The Go floor (bench/cmd/gofloor) is net/http with a handler that writes the manifest from memory with a registry's three headers: what any Go server pays here before doing anything of its own. Ratios are the median of per-round ratios. Then the same rounds again pinned: every server's threads on core %[3]s (nginx as one worker there, its best on one core), benchrun, wrk and the HEAD client on core %[4]s, so the client never waits for a core the server holds and the figures are the server's own; hubmirror and registry:2 keep running and are moved back to both cores after.",
		s.manifestRepeat, (s.manifestWrk).Round(time.Second), serverCPU, clientCPU)
}
