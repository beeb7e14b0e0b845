package main

import (
	"fmt"
	"strings"
)

// writeScaleTargets checks issue 14's targets on the largest cache (and,
// for the tail latency, against the smallest: rounds visit every size in
// turn, so the ratio is the median of per-round ratios).
func writeScaleTargets(b *strings.Builder, pts []*scalePoint) {
	first, last := pts[0], pts[len(pts)-1]
	at := fmt.Sprintf("at %d blobs", last.shape.blobs)
	start, rss, ev := figure("startup").values(last), figure("rss").values(last), figure("evict").values(last)
	p99 := runRatio(figure("p99").values(last), figure("p99").values(first))
	rows := [][3]string{
		{"start-up " + at, "≤ 3 s", verdictOf(start, func(v float64) bool { return v <= 3 })},
		{"idle RSS " + at, "≤ 128 MiB", verdictOf(rss, func(v float64) bool { return v <= 128 })},
		{fmt.Sprintf("manifest p99 at %d ÷ at %d: %.2f×", last.shape.blobs, first.shape.blobs, p99), "≤ 1.2×",
			verdict(len(last.p99) > 0 && len(first.p99) > 0, p99 <= 1.2)},
		{"eviction of 10 % " + at, "≤ 2 s", verdictOf(ev, func(v float64) bool { return v <= 2 })},
	}
	fmt.Fprintf(b, "| target | bound | result |\n|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(b, "| %s | %s | %s |\n", r[0], r[1], r[2])
	}
	fmt.Fprintln(b)
	if len(last.p99) > 0 && len(first.p99) > 0 && p99 > 1.2 {
		fmt.Fprintf(b, "%s\n\n", manifestCost)
	}
	if len(ev) > 0 && median(ev) > 2 {
		fmt.Fprintf(b, "%s\n\n", evictionCost)
	}
}

// manifestCost says what differs between the smallest and the largest
// cache on the warm manifest path (issue 14 asks that a missed target say
// so).
const manifestCost = "Where the manifest time goes: at 1M the tags name 100k distinct manifests (43 MB), all held by the 64 MiB hot set " +
	"and the tag memo (TestHotSetHoldsAHundredThousandManifests), against 1k at 10k, so a warm GET by tag runs the same code with no file " +
	"read at every size. What differs is the working set its lookups walk (maps of 100k entries and bodies spread over 43 MB, where the " +
	"10k cache's 1k stay in the CPU's caches) and the access times noted, one per distinct manifest. The p99 itself is mostly this machine's " +
	"scheduling: scenario 4's Go floor, a bare net/http handler, has 2–4× nginx's p99 under the same wrk load."

// evictionCost is what profiling the eviction pass showed (issue 14 asks
// that a missed target say so).
const evictionCost = "Where the eviction pass goes: the pass removes index records only, a tombstone per blob in the same transaction, " +
	"and a background remover unlinks the files afterwards (cache/unlink.go). Profiled in BenchmarkEvict10PercentOf1M, 70 % of the pass was " +
	"re-reading each victim's record and hold; it now trusts its LRU walk when no other index write happened meanwhile (3.26 → 1.45 s " +
	"per pass, unlinks included). Each round restarts the server right after the pass, so the next round's server finds the last " +
	"round's 100k files still to unlink; the remover ran during the next pass, both waiting on the same journal and Badger's compactions " +
	"(rounds 2 and 3: 5.65 and 5.93 s against 1.92 s for the first). The remover now waits for a pass under way (it yields per batch of " +
	"1,000), which brought rounds 2 and 3 to 1.3–1.7 s. The pass's deletes then ran Badger's level-0 compactions inside the pass (a third " +
	"of its CPU in its profile); six level-0 tables before a compaction, not two, leave most of that until after it (1.52 → 0.86 s). What " +
	"remains is the walk over the access keys, one transaction per 1,000 victims and the memtable flushes."

func verdictOf(vs []float64, ok func(float64) bool) string {
	return verdict(len(vs) > 0, ok(median(vs)))
}

// writeScaleWorst names the figure that grows fastest, and why.
func writeScaleWorst(b *strings.Builder, pts []*scalePoint) {
	worst, we := scaleFigure{}, 0.0
	for _, f := range scaleFigures {
		if e, ok := growth(f, pts); ok && (worst.key == "" || e > we) {
			worst, we = f, e
		}
	}
	if worst.key == "" {
		return
	}
	fmt.Fprintf(b, "Worst growth: **%s** (exponent %.2f): %s.\n\n", worst.title, we, worst.why)
}

func writeScaleNote(b *strings.Builder, s *scaleRun) {
	fmt.Fprintf(b, "How it is taken: each cache is written by benchrun through the store's API (`cache.PutMany` in batches of %d, %d at once; `SetTag`), one in ten blobs an OCI image manifest naming a config and a layer of the same cache, the rest %d-byte blobs; tag k (repository scale/r<k mod %d>) names manifest k mod the manifests. Then %d rounds, each visiting every size in turn: start `hubmirror serve` (`--tag-ttl 24h`, so no tag is revalidated) and time from the exec to the first manifest served by tag (polled every ms); after %s at rest read VmRSS and VmHWM; an unmeasured wrk run of a quarter of the length, then `wrk -t2 -c16 -d%s` over random tags (a Lua script), the hub's manifest counters reset between; stop the server; time `hubmirror cache ls --json | wc -l`. Last, %d rounds of: per size, the server is started with `--cache-max-size` one byte under what the cache holds, so the evictor frees 10 %% at once (of what the round before left); the pass is the `took` of its log line. wrk shares the 2 cores with the server.\n\n",
		scaleBatch, scaleWriters, scaleBlobBytes, scaleRepos, s.rounds, s.idle, s.wrkRun, s.rounds)
}
