package main

import (
	"strings"
	"testing"
	"time"
)

// The pinned pass gets rows of its own, judged on its own runs: a slow
// shared-core pass must not make the pinned rows miss, nor the other way
// round.
func TestPinnedManifestRowsAreJudgedOnTheirOwnRuns(t *testing.T) {
	r := newResults()
	r.setup.manifestRepeat = 1
	run := func(reqs float64, p99 time.Duration) []wrkResult {
		return []wrkResult{{reqPerSec: reqs, p50: p99 / 4, p99: p99}}
	}
	for _, k := range manifestKinds {
		r.manifest.add(k.key, "nginx", run(60000, time.Millisecond)[0])
		r.manifest.add(k.key, hubName, run(30000, 8*time.Millisecond)[0])
		r.manifest.add(k.key, regName, run(1000, 30*time.Millisecond)[0])
		r.pinned.add(k.key, "nginx", run(60000, time.Millisecond)[0])
		r.pinned.add(k.key, hubName, run(54000, 1200*time.Microsecond)[0])
		r.pinned.add(k.key, regName, run(1000, 30*time.Millisecond)[0])
	}
	verdicts := map[string]string{}
	for _, row := range wrkRows(r) {
		if row.verdict != none {
			verdicts[row.figure] = row.verdict
		}
	}
	for figure, verdict := range verdicts {
		pinned := strings.HasPrefix(figure, pinnedLabel)
		if want := map[bool]string{true: "pass", false: "**miss**"}[pinned]; verdict != want && !strings.Contains(figure, "ahead of registry:2") {
			t.Errorf("%q: %s, want %s", figure, verdict, want)
		}
	}
	if n := len(verdicts); n != 2*4+1 { // per pass: req/s by tag and three p99s; then registry:2
		t.Errorf("%d judged rows, want 9: %v", n, verdicts)
	}
}
