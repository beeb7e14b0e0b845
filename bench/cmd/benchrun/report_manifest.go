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
	var rows []row
	ahead := true
	for _, k := range manifestKinds {
		rate, p99, hubAhead := manifestKindRows(r, k)
		rows = append(rows, rate, p99, goFloorRow(r, k))
		ahead = ahead && hubAhead
	}
	_, measured := r.manifest["get-tag"][regName]
	rows = append(rows, manifestP50Row(r), manifestUpstreamRow(r),
		row{id: "4", figure: "warm manifests: hubmirror ahead of registry:2 (proxy) on every row above (req/s higher, p99 lower)",
			hub: none, reg: none, ref: none, hubRatio: none, regRatio: none, target: "ahead on every row", verdict: verdict(measured, ahead)})
	return rows
}

func manifestKindRows(r *results, k manifestKind) (rate, p99 row, hubAhead bool) {
	runs := r.manifest[k.key]
	hub, reg, ng := runs[hubName], runs[regName], runs["nginx"]
	hok, rok, nok := len(hub) > 0, len(reg) > 0, len(ng) > 0
	n := r.setup.manifestRepeat
	rateOf := func(w wrkResult) float64 { return w.reqPerSec }
	p99Of := func(w wrkResult) float64 { return msf(w.p99) }
	rate = row{id: "4", figure: fmt.Sprintf("warm manifest %s, 16 conns: requests/s (median of %d rounds, min–max)", k.figure, n),
		hub: wrkFig(hub, rateOf, "%.0f"), reg: wrkFig(reg, rateOf, "%.0f"), ref: "nginx file " + wrkFig(ng, rateOf, "%.0f"),
		hubRatio: ratioOf(pairedRatio(hub, ng, rateOf), hok && nok), regRatio: ratioOf(pairedRatio(reg, ng, rateOf), rok && nok),
		target: none, verdict: none}
	if k.key == "get-tag" {
		rate.target = "≥ 0.75× nginx"
		rate.verdict = verdict(hok && nok && allOK(hub), pairedRatio(hub, ng, rateOf) >= 0.75)
	}
	p99 = row{id: "4", figure: fmt.Sprintf("warm manifest %s: p99 latency, ms (median, min–max)", k.figure),
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
func goFloorRow(r *results, k manifestKind) row {
	runs := r.manifest[k.key]
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
	return row{id: "4", figure: fmt.Sprintf("warm manifest %s: the Go floor (bench/cmd/gofloor: net/http serving the same bytes from memory), same rounds; hubmirror ÷ floor", k.figure),
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
		"so this is the latency the machine itself allows. The Go floor (bench/cmd/gofloor) is net/http with a handler that writes the manifest from memory with a registry's three headers: what any Go server pays here before doing anything of its own. Ratios are the median of per-round ratios. Neither wrk nor the servers are pinned to cores (bench/README.md says why).",
		s.manifestRepeat, (s.manifestWrk).Round(time.Second))
}
