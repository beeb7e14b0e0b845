package soak

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// report prints the run's figures with t.Log and, with SOAK_REPORT, to a
// file.
func (r *run) report() {
	load, _ := os.ReadFile("/proc/loadavg")
	res := &r.res
	hc, fired := r.hub.Counts(), r.hub.FaultsFired()
	lines := []string{
		fmt.Sprintf("hubmirror soak: %s, seed %d, %d clients, load average %s", r.set.duration, r.set.seed, clients, strings.TrimSpace(string(load))),
		fmt.Sprintf("working set %s in %d blobs (largest %s), cache cap %s, disk slack %s",
			humanize.IBytes(uint64(r.world.total)), len(r.world.blobs), humanize.IBytes(uint64(r.world.largest)),
			humanize.IBytes(cacheMaxSize), humanize.IBytes(uint64(diskSlack(r.world.largest)))),
		"requests by kind (result counts):",
	}
	lines = append(lines, r.tally.requestLines()...)
	lines = append(lines,
		fmt.Sprintf("bytes served to clients: %s", humanize.IBytes(uint64(r.tally.servedBytes.Load()))),
		fmt.Sprintf("wrong bodies: %d, errors without an OCI body: %d, lost pushed images: %d",
			r.tally.count(resultWrong), r.tally.count(resultUnclean), r.tally.eventCount("pushed images LOST")),
		fmt.Sprintf("parts of a blob on a miss (206, or a prefix read by a client that left) that carried the Hub's corruption, served before the digest can be checked: %d",
			r.tally.count(resultUnverifiedPart)),
		fmt.Sprintf("upstream saw: %d registry requests (%d manifest GET, %d HEAD, %d blob GET), %d token, %d CDN GET, %s CDN bytes",
			hc.Requests, hc.ManifestGets, hc.ManifestHeads, hc.BlobGets, hc.Tokens, hc.CDNGets, humanize.IBytes(uint64(hc.CDNBytes))),
		fmt.Sprintf("faults that fired at the Hub: %d error answers, %d resets, %d corrupted bodies, %d stalls",
			fired.Failures, fired.Resets, fired.Corruptions, fired.Holds),
		"events:")
	lines = append(lines, r.tally.eventLines()...)
	st := r.pushes.counts()
	lines = append(lines,
		fmt.Sprintf("pushed images: %d live at the end, %d deleted, %d with a lost delete answer, %d lost",
			st[live], st[deleted], st[unsure], st[lost]),
		fmt.Sprintf("resources (%d samples every %s; start → peak → end):", res.samples, sampleEvery),
		fmt.Sprintf("  open fds       %d → %d → %d (margin %d)", res.fds.start, res.fds.peak, res.fds.end, fdMargin),
		fmt.Sprintf("  goroutines     %d → %d → %d (margin %d)", res.goroutines.start, res.goroutines.peak, res.goroutines.end, goroutineMargin),
		fmt.Sprintf("  RSS            %s → %s → %s (margin %s)", ib(res.rss.start), ib(res.rss.peak), ib(res.rss.end), ib(rssBound())),
		fmt.Sprintf("  cached on disk %s → %s → %s (bound %s; %d samples over)", ib(res.cached.start), ib(res.cached.peak),
			ib(res.cached.end), ib(cacheMaxSize+diskSlack(r.world.largest)), res.overCap),
		fmt.Sprintf("  temp files     %d → %d → %d; partial fills %d → %d → %d; index %s → %s → %s",
			res.tmpFiles.start, res.tmpFiles.peak, res.tmpFiles.end, res.partials.start, res.partials.peak, res.partials.end,
			ib(res.index.start), ib(res.index.peak), ib(res.index.end)),
		fmt.Sprintf("mirror generations: %d; wall time %s", r.mirror.gen, time.Since(r.started).Round(time.Second)))
	if len(r.tally.wrong) > 0 {
		lines = append(lines, "failures noted:")
		for _, w := range r.tally.wrong {
			lines = append(lines, "  "+w)
		}
	}
	r.t.Log("\n" + strings.Join(lines, "\n"))
	r.writeReport(lines)
}

func ib(n int64) string { return humanize.IBytes(uint64(max(n, 0))) }
