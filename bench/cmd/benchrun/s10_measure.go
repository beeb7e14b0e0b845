package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// scaleLua makes wrk ask for a random tag of the cache per request, so the
// run covers the tag index rather than one hot entry; it must name tags as
// scaleRepo and scaleTag do. Each wrk thread seeds its own generator.
const scaleLua = `local tags, repos = %d, %d
local threads = 0
function setup(thread) thread:set("id", threads); threads = threads + 1 end
function init(args) math.randomseed(os.time() * 100 + id) end
function request()
  local k = math.random(0, tags - 1)
  return wrk.format("GET", "/v2/scale/r" .. (k %% repos) .. "/manifests/t" .. k)
end
`

// scaleWrk runs wrk as scenario 4 does (2 threads, 16 connections, docker's
// Accept) over random tags, after one unmeasured run of a quarter of the
// length that fills the server's tag memo and hot set as traffic would.
func (b *bench) scaleWrk(s *system, sh scaleShape) (wrkResult, error) {
	script := filepath.Join(b.cfg.work, "scale-tags.lua")
	if err := os.WriteFile(script, fmt.Appendf(nil, scaleLua, sh.tags, scaleRepos), 0o644); err != nil {
		return wrkResult{}, err
	}
	if _, err := runWrkScript(b.ctx, s.url, script, b.cfg.wrkDuration/4); err != nil {
		return wrkResult{}, err
	}
	if err := b.hub.reset(); err != nil {
		return wrkResult{}, err
	}
	r, err := runWrkScript(b.ctx, s.url, script, b.cfg.wrkDuration)
	if err != nil {
		return r, err
	}
	c, err := b.hub.counts()
	if err != nil {
		return r, err
	}
	r.upstreamHeads, r.upstreamGets = c.ManifestHeads, c.ManifestGets
	return r, nil
}

func runWrkScript(ctx context.Context, url, script string, d time.Duration) (wrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+time.Minute)
	defer cancel()
	secs := fmt.Sprintf("%ds", max(1, int(d.Round(time.Second).Seconds()))) // wrk takes no fractions
	out, err := exec.CommandContext(ctx, "wrk", "-t2", "-c16", "-d"+secs, "--timeout", "5s",
		"--latency", "-s", script, "-H", "Accept: "+dockerAccept, url).CombinedOutput()
	if err != nil {
		return wrkResult{}, fmt.Errorf("wrk: %w\n%s", err, out)
	}
	return parseWrk(string(out))
}

// timeCacheLs times `hubmirror cache ls --json | wc -l` through a shell,
// as an operator would run it, and returns the line count.
func (b *bench) timeCacheLs(dir string) (time.Duration, int, error) {
	bin := filepath.Join(b.cfg.binDir, "hubmirror")
	cmd := exec.CommandContext(b.ctx, "sh", "-c", `"$0" cache ls --json --data-dir "$1" | wc -l`, bin, dir)
	cmd.Env = offlineEnv()
	start := time.Now()
	out, err := cmd.Output()
	took := time.Since(start)
	if err != nil {
		return 0, 0, fmt.Errorf("cache ls: %w", err)
	}
	lines, err := strconv.Atoi(strings.TrimSpace(string(out)))
	return took, lines, err
}

// scaleEvict restarts the server with a cap just under what the cache
// holds, so the evictor runs once at start and frees down to the low
// watermark (90 % of the cap): 10 % of the bytes. The pass is timed by
// the server itself (its "evicted" log line), not by the bench, so the
// start-up around it does not count.
func (b *bench) scaleEvict(p *scalePoint, round int) error {
	name := fmt.Sprintf("hubmirror-scale-%d-evict-r%d", p.shape.blobs, round+1)
	s, _, err := b.startScaleServer(name, p, "--cache-max-size", strconv.FormatInt(p.left-1, 10))
	if err != nil {
		return err
	}
	defer stop(s.proc)
	deadline := time.Now().Add(2 * time.Minute)
	for b.ctx.Err() == nil && time.Now().Before(deadline) && !s.proc.Exited() {
		if line, ok := evictionLine(s.proc.LogPath()); ok {
			p.evicted, p.evict = append(p.evicted, line.Blobs), append(p.evict, time.Duration(line.Took))
			p.left -= line.Bytes // the next pass evicts 10 % of what is left
			logf("scenario 10: %7d blobs: evicted %d in %s (load %s)", p.shape.blobs, line.Blobs, time.Duration(line.Took).Round(time.Millisecond), loadAverage())
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return withLogTail(s.proc, fmt.Errorf("no eviction logged within 2 minutes"))
}

// evictedLog is the store's log line for one eviction pass.
type evictedLog struct {
	Msg   string `json:"msg"`
	Blobs int    `json:"blobs"`
	Bytes int64  `json:"bytes"`
	Took  int64  `json:"took"` // slog's JSON handler writes durations in ns
}

func evictionLine(path string) (evictedLog, bool) {
	f, err := os.Open(path)
	if err != nil {
		return evictedLog{}, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var l evictedLog
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Msg == "cache: evicted least recently used content" {
			return l, true
		}
	}
	return evictedLog{}, false
}
