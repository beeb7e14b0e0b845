package soak

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// sample is one look at the mirror process and its data dir.
type sample struct {
	fds, goroutines int64
	rss             int64 // bytes
	blobBytes       int64 // blobs/: verified content, hosted included
	partialBytes    int64 // tmp/partial/: pieces of fills, kept or in progress
	tmpFiles        int64 // tmp/fill-*, tmp/upload-*: content still arriving
	partialFiles    int64
	hostedBytes     int64    // hubmirror_hosted_size_bytes
	indexBytes      int64    // index/: Badger, blocks allocated (its files are sparse)
	tmpNames        []string // the first few of tmpFiles, for a report
}

// cachedOnDisk is what the cap is about: content other than hosted,
// partial fills included (the store counts them against the cap).
func (s sample) cachedOnDisk() int64 { return s.blobBytes + s.partialBytes - s.hostedBytes }

// diskSlack is how far cachedOnDisk may pass the cap, as the README's
// cache section says: the fills in flight (written, not yet counted) and
// as many just committed while the evictor catches up.
func diskSlack(largest int64) int64 { return 2 * maxConcurrentFills * largest }

// take reads /proc for pid, /metrics on metricsAddr and walks dataDir. A
// process gone between the reads gives an error; the caller skips it.
func take(pid int, metricsAddr, dataDir string) (sample, error) {
	var s sample
	var err error
	if s.fds, err = countDir(fmt.Sprintf("/proc/%d/fd", pid)); err != nil {
		return s, err
	}
	if s.rss, err = vmRSS(pid); err != nil {
		return s, err
	}
	s.walkData(dataDir)
	gauges, err := scrape(metricsAddr, "go_goroutines", "hubmirror_hosted_size_bytes")
	if err != nil {
		return s, err
	}
	s.goroutines, s.hostedBytes = gauges[0], gauges[1]
	return s, nil
}

func countDir(dir string) (int64, error) {
	es, err := os.ReadDir(dir)
	return int64(len(es)), err
}

func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// walkData sizes the data dir by area; files vanish under it (eviction,
// commits), which only makes a sample a little low.
func (s *sample) walkData(dataDir string) {
	filepath.WalkDir(dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dataDir, path)
		switch {
		case strings.HasPrefix(rel, "blobs/"):
			s.blobBytes += info.Size()
		case strings.HasPrefix(rel, "tmp/partial/"):
			s.partialBytes += info.Size()
			if !strings.HasSuffix(rel, ".map") {
				s.partialFiles++
			}
		case strings.HasPrefix(rel, "tmp/"):
			s.tmpFiles++
			if len(s.tmpNames) < 5 {
				s.tmpNames = append(s.tmpNames, fmt.Sprintf("%s (%d bytes, %s old)", rel, info.Size(),
					time.Since(info.ModTime()).Round(time.Second)))
			}
		case strings.HasPrefix(rel, "index/"):
			s.indexBytes += allocated(info)
		}
		return nil
	})
}

func allocated(info fs.FileInfo) int64 {
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return info.Size()
}

// scrape reads gauges by name from a Prometheus text page.
func scrape(addr string, names ...string) ([]int64, error) {
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := make([]int64, len(names))
	found := make([]bool, len(names))
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		name, value, ok := strings.Cut(sc.Text(), " ")
		for i, n := range names {
			if ok && name == n {
				f, err := strconv.ParseFloat(value, 64)
				out[i], found[i] = int64(f), err == nil
			}
		}
	}
	for i, ok := range found {
		if !ok {
			return nil, fmt.Errorf("no %s in /metrics", names[i])
		}
	}
	return out, nil
}

// span is a figure at the run's start, its peak and its end.
type span struct{ start, peak, end int64 }

func (s *span) see(v int64) { s.peak = max(s.peak, v) }

// resources keeps the spans of every sampled figure and the samples that
// broke the disk bound.
type resources struct {
	mu                                sync.Mutex
	fds, goroutines, rss              span
	cached, tmpFiles, partials, index span
	samples, overCap                  int64
	worstOver                         int64
}

func (r *resources) start(s sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fds, r.goroutines, r.rss = span{s.fds, s.fds, 0}, span{s.goroutines, s.goroutines, 0}, span{s.rss, s.rss, 0}
	r.cached, r.tmpFiles = span{s.cachedOnDisk(), s.cachedOnDisk(), 0}, span{s.tmpFiles, s.tmpFiles, 0}
	r.partials, r.index = span{s.partialFiles, s.partialFiles, 0}, span{s.indexBytes, s.indexBytes, 0}
}

func (r *resources) see(s sample, bound int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.samples++
	r.fds.see(s.fds)
	r.goroutines.see(s.goroutines)
	r.rss.see(s.rss)
	r.cached.see(s.cachedOnDisk())
	r.tmpFiles.see(s.tmpFiles)
	r.partials.see(s.partialFiles)
	r.index.see(s.indexBytes)
	if over := s.cachedOnDisk() - bound; over > 0 {
		r.overCap++
		r.worstOver = max(r.worstOver, over)
	}
}

func (r *resources) end(s sample) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.fds.end, r.goroutines.end, r.rss.end = s.fds, s.goroutines, s.rss
	r.cached.end, r.tmpFiles.end = s.cachedOnDisk(), s.tmpFiles
	r.partials.end, r.index.end = s.partialFiles, s.indexBytes
}
