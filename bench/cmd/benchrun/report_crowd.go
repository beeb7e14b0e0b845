package main

import (
	"fmt"

	"github.com/dustin/go-humanize"
)

// crowdRows hold scenario 11 to issue 14's target: the slowest of N
// clients joining one cold fill against nginx serving the same N clients
// from a file, paired by repetition.
func crowdRows(r *results) []row {
	var rows []row
	for _, n := range crowdSizes {
		runs := r.crowd[n]
		hub, reg, ng := runs[hubName], runs[regName], runs["nginx"]
		hok, rok, nok := len(hub) > 0, len(reg) > 0, len(ng) > 0
		size := r.setup.coldBlob
		hr, rr := runRatio(slowests(hub), slowests(ng)), runRatio(slowests(reg), slowests(ng))
		slow := row{id: "11", figure: fmt.Sprintf("cold N=%d joining one %s fill, upstream uncapped: slowest client's wall s (median of %d; min–max)", n, humanize.IBytes(uint64(size)), r.setup.repeat),
			hub: slowFig(hub), reg: slowFig(reg), ref: "nginx, same N from a file " + slowFig(ng),
			hubRatio: ratioOf(hr, hok && nok), regRatio: ratioOf(rr, rok && nok), target: "≤ 1.25× nginx; ahead of registry:2"}
		slow.verdict = verdict(hok && nok, hr <= 1.25 && (!rok || hr < rr))
		up := row{id: "11", figure: fmt.Sprintf("cold N=%d: upstream bytes ÷ blob size (worst run)", n),
			hub: upFig(hub), reg: upFig(reg), ref: none, hubRatio: none, regRatio: none, target: "= 1.00"}
		up.verdict = verdict(hok, worstUp(hub) == 1)
		rows = append(rows, slow, up)
	}
	return rows
}

func crowdNote(s setupNotes) string {
	return fmt.Sprintf("11: as #3 (one client, then the rest once it has 32 MiB) with N = 8 and N = 64 clients, %d runs each on fresh %s blobs, every system then nginx back to back; "+
		"the hub's cap is lifted for this scenario (PUT /_link with no bandwidth and no RTT), so the fill goes as fast as the hub's CPU and loopback allow "+
		"and the figure is the cost of serving N followers, not of the link. The reference is nginx serving the same N clients the same bytes from a file (sendfile); "+
		"the ratio is the median of per-run ratios. The clients are Go goroutines in benchrun (256 KiB reads) sharing the 2 cores with the servers and the hub.",
		s.repeat, humanize.IBytes(uint64(s.coldBlob)))
}
