package prefetch

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/dustin/go-humanize"
)

// reporter tells the user how a prefetch goes. Its methods may be called
// from several fetches at once.
type reporter interface {
	planned(p *imagePlan)
	imageFailed(ref string, err error)
	queued(b blobRef)
	read(n int64)
	fetched(b blobRef, took time.Duration, err error)
	finish()
}

// newReporter draws a progress bar on a terminal and writes one line per
// blob anywhere else (CI logs, files), where a redrawn line is noise.
func newReporter(w io.Writer) reporter {
	if isTerminal(w) {
		return &barReporter{w: w}
	}
	return &lineReporter{w: w}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// tally is what both reporters count.
type tally struct {
	mu                 sync.Mutex
	blobs, done, fails int
	bytes, got         int64
}

// queued counts a blob the same way for every reporter: nothing is drawn
// until its bytes arrive.
func (t *tally) queued(b blobRef) {
	t.mu.Lock()
	t.blobs++
	t.bytes += b.size
	t.mu.Unlock()
}

func (t *tally) summary() string {
	s := fmt.Sprintf("%d/%d blobs, %s", t.done, t.blobs, humanize.IBytes(uint64(t.got)))
	if t.fails > 0 {
		s += fmt.Sprintf(", %d failed", t.fails)
	}
	return s
}

// lineReporter writes a line per image planned and per blob fetched.
type lineReporter struct {
	w io.Writer
	tally
}

func (r *lineReporter) planned(p *imagePlan) {
	r.printf("%s: %d platform(s), %d blobs, %s\n", p.ref, p.platforms, len(p.blobs), humanize.IBytes(uint64(p.bytes)))
}

func (r *lineReporter) imageFailed(ref string, err error) { r.printf("%s: FAILED: %v\n", ref, err) }

func (r *lineReporter) read(n int64) {
	r.mu.Lock()
	r.got += n
	r.mu.Unlock()
}

func (r *lineReporter) fetched(b blobRef, took time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	if err != nil {
		r.fails++
		fmt.Fprintf(r.w, "%s %s: FAILED: %v\n", b.plan.ref, b.digest.DigestStr(), err)
		return
	}
	fmt.Fprintf(r.w, "%s %s %s %s\n", b.plan.ref, b.digest.DigestStr(), humanize.IBytes(uint64(b.size)), took.Round(time.Millisecond))
}

func (r *lineReporter) finish() { r.printf("prefetched %s\n", r.summary()) }

func (r *lineReporter) printf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fmt.Fprintf(r.w, format, args...)
}

// barReporter redraws one status line; images and failures are printed
// above it so they stay on screen.
type barReporter struct {
	w io.Writer
	tally
	drawn time.Time
}

// redrawEvery limits redraws: a fast mirror reports thousands of reads a
// second, and a terminal does not need to show each.
const redrawEvery = 100 * time.Millisecond

func (r *barReporter) planned(p *imagePlan) {
	r.above(fmt.Sprintf("%s: %d platform(s), %d blobs, %s", p.ref, p.platforms, len(p.blobs), humanize.IBytes(uint64(p.bytes))))
}

func (r *barReporter) imageFailed(ref string, err error) {
	r.above(fmt.Sprintf("%s: FAILED: %v", ref, err))
}

func (r *barReporter) read(n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got += n
	if time.Since(r.drawn) >= redrawEvery {
		r.draw()
	}
}

func (r *barReporter) fetched(b blobRef, _ time.Duration, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.done++
	if err != nil {
		r.fails++
		r.printAbove(fmt.Sprintf("%s %s: FAILED: %v", b.plan.ref, b.digest.DigestStr(), err))
		return
	}
	r.draw()
}

func (r *barReporter) finish() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.draw()
	fmt.Fprintln(r.w)
}

func (r *barReporter) above(line string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.printAbove(line)
}

// printAbove prints a line and redraws the bar under it; the caller holds mu.
func (r *barReporter) printAbove(line string) {
	fmt.Fprintf(r.w, "\r\033[K%s\n", line)
	if r.blobs > 0 {
		r.draw()
	}
}

// draw writes the bar; the caller holds mu.
func (r *barReporter) draw() {
	r.drawn = time.Now()
	line := fmt.Sprintf("%s %d/%d blobs, %s of %s", progressBar(r.got, r.bytes, 30), r.done, r.blobs, humanize.IBytes(uint64(r.got)), humanize.IBytes(uint64(r.bytes)))
	if r.fails > 0 {
		line += fmt.Sprintf(", %d failed", r.fails)
	}
	fmt.Fprint(r.w, "\r\033[K"+line)
}

// progressBar renders done of total as "[=====>    ]  50%". Sizes in
// manifests can be off (or zero), so the bar is clamped to full.
func progressBar(done, total int64, width int) string {
	frac := 1.0
	if total > 0 {
		frac = min(float64(done)/float64(total), 1)
	}
	filled := int(frac * float64(width))
	bar := strings.Repeat("=", filled)
	if filled < width {
		bar += ">" + strings.Repeat(" ", width-filled-1)
	}
	return fmt.Sprintf("[%s] %3d%%", bar, int(frac*100))
}
