package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"
)

// pushTimeout bounds one `crane push` of the fresh layer.
const pushTimeout = 10 * time.Minute

// pushRepo is the hosted repository scenario 9 pushes to; startHubmirror
// hosts "push/*" (fakehub's repositories are bench/…, mirrored).
const pushRepo = "push/layer"

// pushResult is scenario 9.
type pushResult struct {
	size int64                // of the layer
	mbps map[string][]float64 // per run: layer bytes / wall of `crane push`
	peak []int64              // hubmirror's VmHWM during each of its pushes
	// Warm GETs of hubmirror, interleaved: the layer it received by push,
	// and a mirrored blob of the same size it filled from the hub.
	hosted, mirrored []float64
}

// pushes is scenario 9: `crane push` of an image whose one layer is
// fresh random bytes (cfg.pushSize), to a hosted name on hubmirror and to
// the distribution registry as a plain registry (not a proxy: its proxy
// mode refuses pushes), alternating which goes first, cfg.repeat times,
// each push starting with the page cache written back (sync).
// Then the pushed layer is pulled warm from hubmirror beside a cached
// mirrored blob of the same size: a pushed image must serve as fast as a
// mirrored one.
func (b *bench) pushes() {
	plain, err := startPlainRegistry(b.ps, filepath.Join(b.cfg.binDir, "registry"))
	if err != nil {
		b.res.problem("scenario 9: starting the plain registry: %v", err)
		return
	}
	defer stop(plain.proc)
	hm := b.systems[0]
	r := &pushResult{size: b.cfg.pushSize, mbps: map[string][]float64{}}
	b.res.push = r
	var last pushImage
	for run := range b.cfg.repeat {
		img, err := writePushImage(filepath.Join(b.cfg.work, fmt.Sprintf("push-%d", run)), b.cfg.pushSize)
		if err != nil {
			b.res.problem("scenario 9: writing the layer: %v", err)
			return
		}
		order := []*system{hm, plain}
		if run%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			if err := b.pushOnce(r, s, s == hm, img, run); err != nil {
				b.res.problem("scenario 9: %s: %v", s.name, err)
				return
			}
		}
		if run > 0 {
			os.RemoveAll(last.dir)
		}
		last = img
	}
	os.RemoveAll(last.dir)
	b.pullPushed(r, hm, last)
}

// pushOnce pushes img to s and records its throughput; for hubmirror, the
// peak RSS of that push alone (VmHWM reset just before).
func (b *bench) pushOnce(r *pushResult, s *system, isHub bool, img pushImage, run int) error {
	// The previous push left hundreds of MiB of dirty pages; without this
	// the kernel writes them back during the next push, which then pays
	// for the one before it.
	syscall.Sync()
	if isHub {
		if err := resetPeakRSS(s.proc.Pid()); err != nil {
			return err
		}
	}
	ref := fmt.Sprintf("%s/%s:r%d", strings.TrimPrefix(s.url, "http://"), pushRepo, run)
	start := time.Now()
	if err := cranePush(b.ctx, filepath.Join(b.cfg.binDir, "crane"), img.dir, ref); err != nil {
		return err
	}
	mbps := float64(img.layerSize) / time.Since(start).Seconds() / 1e6
	r.mbps[s.name] = append(r.mbps[s.name], mbps)
	msg := ""
	if isHub {
		peak, err := procStatus(s.proc.Pid(), "VmHWM")
		if err != nil {
			return err
		}
		r.peak = append(r.peak, peak)
		msg = fmt.Sprintf(", peak RSS %d MiB", peak>>20)
	}
	logf("scenario 9: push %d to %-10s %.0f MB/s%s", run, s.name, mbps, msg)
	return nil
}

// pullPushed GETs the pushed layer and a mirrored blob of the same size
// from hubmirror, interleaved, one unmeasured round first.
func (b *bench) pullPushed(r *pushResult, hm *system, img pushImage) {
	mirrored := b.hub.Blobs[1]
	if mirrored.Size != img.layerSize {
		b.res.problem("scenario 9: the mirrored blob is %d bytes, the pushed layer %d: --cold and --push-size differ, pull not compared", mirrored.Size, img.layerSize)
		return
	}
	if _, err := fetchBlob(b.ctx, hm.url, mirrored.Repo, mirrored.Digest, mirrored.Size, nil, nil); err != nil {
		b.res.problem("scenario 9: filling the mirrored blob: %v", err)
		return
	}
	urls := []string{blobURL(hm.url, pushRepo, img.layer), blobURL(hm.url, mirrored.Repo, mirrored.Digest)}
	for round := -1; round < b.cfg.runs; round++ {
		order := []int{0, 1}
		if round%2 != 0 { // alternate which goes first, as the pushes do
			order = []int{1, 0}
		}
		for _, i := range order {
			run, err := curlGet(b.ctx, urls[i])
			if err != nil {
				b.res.problem("scenario 9: pull: %v", err)
				return
			}
			if round < 0 {
				continue
			}
			if i == 0 {
				r.hosted = append(r.hosted, run.mbps())
			} else {
				r.mirrored = append(r.mirrored, run.mbps())
			}
		}
	}
	logf("scenario 9: warm GET from hubmirror: pushed layer %.0f MB/s, mirrored blob %.0f MB/s (medians of %d)",
		median(r.hosted), median(r.mirrored), b.cfg.runs)
}

// cranePush runs `crane push DIR REF` over plain HTTP.
func cranePush(ctx context.Context, crane, dir, ref string) error {
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, crane, "push", "--insecure", dir, ref)
	cmd.Env = offlineEnv()
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("crane push %s: %w\n%s", ref, err, out)
	}
	return nil
}

// resetPeakRSS sets VmHWM back to the current RSS (Linux ≥ 4.0), so the
// next read is the peak of what happened since.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0o644)
}
