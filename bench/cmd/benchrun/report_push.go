package main

import (
	"fmt"
	"slices"

	"github.com/dustin/go-humanize"
)

// pushRows are scenario 9's lines: push throughput against the plain
// distribution registry, peak RSS, and the pushed image's warm pull
// against a mirrored one.
func pushRows(r *results) []row {
	p := r.push
	if p == nil {
		return nil
	}
	hub, reg := p.mbps[hubName], p.mbps[regName]
	hok, rok := len(hub) > 0, len(reg) > 0
	pr := runRatio(hub, reg)
	push := row{id: "9", figure: fmt.Sprintf("`crane push` of a fresh %s layer, MB/s (median of %d; min–max)", humanize.IBytes(uint64(p.size)), len(hub)),
		hub: spread(median(hub), hub, hok), reg: spread(median(reg), reg, rok), ref: "registry:2 (plain)",
		hubRatio: ratioOf(pr, hok && rok) + " of registry:2", regRatio: none, target: "≥ 1.0× registry:2"}
	push.verdict = verdict(hok && rok, pr >= 1.0)
	var peak int64
	if len(p.peak) > 0 {
		peak = slices.Max(p.peak)
	}
	mem := row{id: "9", figure: "hubmirror peak RSS during a push (VmHWM, worst run), MiB",
		hub: num(float64(peak)/(1<<20), len(p.peak) > 0, "%.1f"), reg: none, ref: none,
		hubRatio: none, regRatio: none, target: "≤ 64 MiB"}
	mem.verdict = verdict(len(p.peak) > 0, peak <= 64<<20)
	hosted, mirrored := median(p.hosted), median(p.mirrored)
	pok := len(p.hosted) > 0 && len(p.mirrored) > 0
	pull := row{id: "9", figure: "warm GET of the pushed layer from hubmirror, MB/s (median)",
		hub: num(hosted, pok, "%.0f"), reg: none, ref: "mirrored blob " + num(mirrored, pok, "%.0f"),
		hubRatio: ratioOf(runRatio(p.hosted, p.mirrored), pok) + " of mirrored", regRatio: none, target: "≈ 1.0× mirrored (≥ 0.95×)"}
	pull.verdict = verdict(pok, runRatio(p.hosted, p.mirrored) >= 0.95)
	return []row{push, mem, pull}
}
