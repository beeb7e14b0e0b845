package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/dustin/go-humanize"
)

// scaleFigure is one column of scenario 10's table and one of its charts.
type scaleFigure struct {
	key, title, unit string
	values           func(p *scalePoint) []float64
	// why is the cost that grows with the cache, for the sentence naming
	// the figure that grows worst.
	why string
}

var scaleFigures = []scaleFigure{
	{"startup", "start-up to first served manifest", "s", func(p *scalePoint) []float64 { return p.startup },
		"Badger opens every table of the index (about one per 2 MiB) and reads its block index; the totals come from the clean marker, so no record is read"},
	{"rss", "idle RSS", "MiB", func(p *scalePoint) []float64 { return mib(p.rss) },
		"each table's block index and bloom filter stay in memory, and the first start after a bulk load compacts it (the maximum of each row)"},
	{"p99", "manifest by tag, p99 (wrk)", "ms", func(p *scalePoint) []float64 { return millis(p.p99) },
		"a tag missing from the tag memo and a manifest missing from the hot set cost a Badger read and a file read, and the bigger caches spread the same requests over more manifests"},
	{"evict", "one eviction pass of 10 %", "s", func(p *scalePoint) []float64 { return seconds(p.evict) },
		"each evicted blob is two index deletes and a tombstone (its unlink comes after the pass); at 1M the pass's 300k writes (about 15 MB) overflow Badger's two 4 MiB memtables several times over, and the flushes and compactions they cause merge into a base level that grows with the cache (allowing six level-0 tables before a compaction, not two, moved most of that after the pass: 1.52 → 0.86 s at 1M, exponent 1.17 → 1.02)"},
	{"ls", "`cache ls --json | wc -l`", "s", func(p *scalePoint) []float64 { return p.ls },
		"it walks and prints every tag and every record: linear by nature"},
}

func mib(bs []int64) []float64 {
	out := make([]float64, len(bs))
	for i, b := range bs {
		out[i] = float64(b) / (1 << 20)
	}
	return out
}

func millis(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = msf(d)
	}
	return out
}

func seconds(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = d.Seconds()
	}
	return out
}

// writeScale renders scenario 10 (a section of its own, as its rows are
// cache sizes, not systems) and draws its charts into dir, beside
// RESULTS.md.
func writeScale(b *strings.Builder, r *results, dir string) {
	if r.scale == nil || len(r.scale.points) == 0 {
		return
	}
	pts := r.scale.points
	fmt.Fprintf(b, "## 10: how cost grows with the cache\n\n")
	fmt.Fprintf(b, "| blobs | tags | bytes | built in | %s |\n|---|---|---|---|", strings.Join(scaleHeads(), " | "))
	fmt.Fprintf(b, "%s\n", strings.Repeat("---|", len(scaleFigures)))
	for _, p := range pts {
		cells := []string{fmt.Sprint(p.shape.blobs), fmt.Sprint(p.shape.tags), humanize.IBytes(uint64(p.bytes)), p.build.Round(100 * time.Millisecond).String()}
		for _, f := range scaleFigures {
			cells = append(cells, scaleCell(f, p))
		}
		fmt.Fprintf(b, "| %s |\n", strings.Join(cells, " | "))
	}
	fmt.Fprintf(b, "| growth exponent %d → %d (1 = linear) | | | |", pts[0].shape.blobs, pts[len(pts)-1].shape.blobs)
	for _, f := range scaleFigures {
		fmt.Fprintf(b, " %s |", exponentCell(f, pts))
	}
	fmt.Fprintf(b, "\n\n")
	writeScaleTargets(b, pts)
	writeScaleWorst(b, pts)
	writeScaleCharts(b, pts, dir)
	writeScaleNote(b, r.scale)
}

func scaleHeads() []string {
	var hs []string
	for _, f := range scaleFigures {
		// A pipe inside a table cell, even in a code span, must be escaped.
		hs = append(hs, strings.ReplaceAll(fmt.Sprintf("%s, %s", f.title, f.unit), "|", `\|`))
	}
	return hs
}

func scaleCell(f scaleFigure, p *scalePoint) string {
	vs := f.values(p)
	s := spread(median(vs), vs, len(vs) > 0)
	switch f.key {
	case "rss":
		if len(p.hwm) > 0 {
			s += fmt.Sprintf("; peak %.1f", slices.Max(mib(p.hwm)))
		}
	case "p99":
		if len(p.reqPerSec) > 0 {
			s += fmt.Sprintf("; %.0f req/s", median(p.reqPerSec))
		}
		if p.non2xx > 0 || p.upstream > 0 {
			s += fmt.Sprintf("; **%d non-2xx, %d upstream**", p.non2xx, p.upstream)
		}
	case "evict":
		if len(p.evicted) > 0 {
			s += fmt.Sprintf(" (%d blobs first)", p.evicted[0])
		}
	}
	return s
}

// growth is how a figure scales between the smallest and the largest
// cache: y ∝ n^e. e ≤ 1 grows no faster than linearly.
func growth(f scaleFigure, pts []*scalePoint) (float64, bool) {
	first, last := pts[0], pts[len(pts)-1]
	a, b := f.values(first), f.values(last)
	if len(pts) < 2 || len(a) == 0 || len(b) == 0 || median(a) <= 0 || median(b) <= 0 {
		return 0, false
	}
	return math.Log(median(b)/median(a)) / math.Log(float64(last.shape.blobs)/float64(first.shape.blobs)), true
}

func exponentCell(f scaleFigure, pts []*scalePoint) string {
	e, ok := growth(f, pts)
	if !ok {
		return none
	}
	return fmt.Sprintf("%.2f %s", e, verdict(true, e <= 1))
}

func figure(key string) scaleFigure {
	i := slices.IndexFunc(scaleFigures, func(f scaleFigure) bool { return f.key == key })
	return scaleFigures[i]
}
