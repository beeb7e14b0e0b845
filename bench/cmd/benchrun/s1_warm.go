package main

import (
	"path/filepath"

	"golang.org/x/sync/errgroup"
)

// warmBlob is scenario 1: the big blob, already cached, GET with curl to
// /dev/null; nginx serving the same bytes from a file is the reference, in
// both of its modes (sendfile, and buffered reads with sendfile off), and
// the faster mode is "nginx", the reference every ratio uses — a ratio to
// the weaker mode would flatter hubmirror. Runs are interleaved (nginx
// sendfile, nginx buffered, hubmirror, registry:2, nginx sendfile, …) so
// that a noisy moment on the machine hits every system alike.
func (b *bench) warmBlob() {
	blob := b.hub.Blobs[0]
	logf("scenario 1: filling %s (%d MiB) into every system", blob.Digest[:19], blob.Size>>20)
	var g errgroup.Group
	for _, s := range b.systems {
		g.Go(func() error {
			_, err := fetchBlob(b.ctx, s.url, blob.Repo, blob.Digest, blob.Size, nil, nil)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		b.res.problem("scenario 1: filling the cache: %v", err)
		return
	}
	file := "/" + filepath.Base(blob.File)
	sf := &system{name: nginxSendfile, url: b.nginx.url, proc: b.nginx.proc}
	refs := []*system{sf, b.nginxBuf}
	urls := map[string]string{sf.name: sf.url + file, b.nginxBuf.name: b.nginxBuf.url + file}
	for _, s := range b.systems {
		urls[s.name] = blobURL(s.url, blob.Repo, blob.Digest)
	}
	b.curlRounds(append(refs, b.systems...), urls)
	b.res.bestNginx(nginxSendfile, nginxBuffered)
}

// curlRounds runs one unmeasured GET per system (warming its page cache
// reads and connections' code paths), then the measured rounds. Besides
// curl's throughput it counts the server's CPU time: when the client is
// what limits the throughput, that is where servers still differ.
func (b *bench) curlRounds(order []*system, urls map[string]string) {
	cpu := map[string]float64{}
	bytes := map[string]int64{}
	for round := -1; round < b.cfg.runs; round++ {
		for _, s := range order {
			before, _ := cpuSeconds(s.proc.Pid())
			run, err := curlGet(b.ctx, urls[s.name])
			if err != nil {
				b.res.problem("scenario 1: %s: %v", s.name, err)
				return
			}
			after, _ := cpuSeconds(s.proc.Pid())
			if round >= 0 {
				b.res.warmRuns[s.name] = append(b.res.warmRuns[s.name], run.mbps())
				cpu[s.name] += after - before
				bytes[s.name] += run.bytes
			}
		}
	}
	for _, s := range order {
		b.res.warmMBps[s.name] = median(b.res.warmRuns[s.name])
		b.res.warmCPU[s.name] = cpu[s.name] / (float64(bytes[s.name]) / (1 << 30))
		logf("scenario 1: %-10s median %.0f MB/s over %d runs; server CPU %.2f s per GiB",
			s.name, b.res.warmMBps[s.name], b.cfg.runs, b.res.warmCPU[s.name])
	}
}
