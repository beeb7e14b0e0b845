package e2e

import (
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/internal/haproxytest"
)

// failoverDeadline bounds how long pulls may fail after a replica dies:
// HAProxy marks it down after two failed checks a second apart, and
// retries on another replica meanwhile.
const failoverDeadline = 15 * time.Second

// kill -9 of the replica holding the most blobs: within seconds every
// pull succeeds again, upstream is asked again for the blobs that replica
// held and nothing else, and once it is back the pulls still succeed,
// served from its cache with nothing asked of upstream.
func TestClusterSurvivesAKilledReplica(t *testing.T) {
	t.Parallel()
	hub, imgs, c := pulledCluster(t)
	blobs := distinctBlobs(imgs)
	held := c.settledHolders(t, blobs)
	victim := busiestReplica(held, len(c.replicas))

	hub.Reset()
	c.kill(t, victim)
	killed := time.Now()
	attempts := pullUntilAllSucceed(t, c.host, imgs)
	t.Logf("replica %d killed: every pull succeeded again after %v (%d rounds)", victim+1, time.Since(killed).Round(100*time.Millisecond), attempts)
	c.waitStatus(t, "DOWN", victim)
	if err := pullEvery(c.host, imgs, clusterClients); err != nil {
		t.Fatalf("pulls with replica %d down: %v", victim+1, err)
	}
	lost, twice := 0, 0
	for _, b := range blobs {
		n := hub.BlobGetsFor(b)
		if !slices.Contains(held[b], victim) {
			if n != 0 {
				t.Errorf("blob %s of replica %v came from upstream %d times after replica %d died, want 0: it was not the lost share", b, held[b], n, victim+1)
			}
			continue
		}
		lost++
		// Before HAProxy marks the dead replica down, a retry goes to its
		// neighbour on the ring walking forward, which for some keys is
		// not the replica the ring gives them once it is down: those come
		// twice, once on each survivor, never more.
		if n == 2 {
			twice++
		}
		if n < 1 || n > 2 {
			t.Errorf("blob %s of the dead replica came from upstream %d times, want once (twice at most: once per survivor)", b, n)
		}
	}
	t.Logf("the lost replica cost %d of %d blobs fetched again (%d of them twice), %d CDN bytes, %d manifest GETs", lost, len(blobs), twice, hub.Counts().CDNBytes, hub.Counts().ManifestGets)

	c.restart(t, victim)
	c.waitStatus(t, "UP", victim)
	hub.Reset()
	if err := pullEvery(c.host, imgs, clusterClients); err != nil {
		t.Fatalf("pulls after replica %d came back: %v", victim+1, err)
	}
	if n := hub.Counts(); n.CDNGets != 0 || n.ManifestGets != 0 {
		t.Errorf("after replica %d came back upstream served %d blobs and %d manifests, want none: its share is in its cache", victim+1, n.CDNGets, n.ManifestGets)
	}
}

// busiestReplica is the replica holding the most blobs.
func busiestReplica(held map[v1.Hash][]int, replicas int) int {
	share := make([]int, replicas)
	for _, on := range held {
		for _, i := range on {
			share[i]++
		}
	}
	best := 0
	for i, n := range share {
		if n > share[best] {
			best = i
		}
	}
	return best
}

// pullUntilAllSucceed repeats one pull of every image until a whole round
// succeeds, within failoverDeadline, and returns the rounds it took.
func pullUntilAllSucceed(t *testing.T, host string, imgs []clusterImage) int {
	t.Helper()
	deadline := time.Now().Add(failoverDeadline)
	for round := 1; ; round++ {
		err := pullEvery(host, imgs, 1)
		if err == nil {
			return round
		}
		if time.Now().After(deadline) {
			t.Fatalf("pulls still failing %v after the replica died: %v", failoverDeadline, err)
		}
		time.Sleep(pollInterval)
	}
}

// SIGTERM to a replica while clients pull without pause: /readyz turns
// unready, HAProxy moves the traffic within its checks, the replica
// finishes what it was sending and exits cleanly, and no client sees an
// error, before, during or after.
func TestClusterDrainsAReplicaWithoutErrors(t *testing.T) {
	t.Parallel()
	// The default delay, which the harness sets to 0.
	_, imgs, c := pulledCluster(t, "--shutdown-delay", "3s")
	victim := busiestReplica(c.settledHolders(t, distinctBlobs(imgs)), len(c.replicas))

	l := startLoad(c.host, imgs, 8)
	l.waitPulls(t, 16)
	c.replicas[victim].proc.Signal(syscall.SIGTERM)
	assertExitsCleanly(t, c.replicas[victim])
	c.waitStatus(t, "DOWN", victim)
	l.waitPulls(t, l.pulls.Load()+16)
	pulls, errs := l.stop()
	servers, err := c.lb.Servers()
	if err != nil {
		t.Fatal(err)
	}
	v := servers[haproxytest.ServerNames()[victim]]
	t.Logf("%d pulls during the drain of replica %d, %d failed; HAProxy sent it %d requests, %d failed or retried", pulls, victim+1, len(errs), v.Sessions, v.Failures)
	for _, err := range errs {
		t.Errorf("a client saw an error: %v", err)
	}
	// HAProxy's retries would hide a replica that closed under it; the
	// drain means there was nothing to hide.
	if v.Failures != 0 {
		t.Errorf("HAProxy met %d failed connections or responses from the draining replica, want 0: it stopped sending before the replica closed", v.Failures)
	}
}

// load is clients pulling images in a loop until stopped.
type load struct {
	pulls atomic.Int64
	done  chan struct{}
	wg    sync.WaitGroup
	mu    sync.Mutex
	errs  []error
}

func startLoad(host string, imgs []clusterImage, clients int) *load {
	l := &load{done: make(chan struct{})}
	for i := range clients {
		l.wg.Add(1)
		go func() {
			defer l.wg.Done()
			for n := i; ; n++ {
				select {
				case <-l.done:
					return
				default:
				}
				if err := pullImage(host, imgs[n%len(imgs)]); err != nil {
					l.mu.Lock()
					l.errs = append(l.errs, err)
					l.mu.Unlock()
				}
				l.pulls.Add(1)
			}
		}()
	}
	return l
}

// waitPulls waits, within a bound, until n pulls have finished.
func (l *load) waitPulls(t *testing.T, n int64) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for l.pulls.Load() < n {
		if time.Now().After(deadline) {
			t.Fatalf("only %d of %d pulls done after a minute", l.pulls.Load(), n)
		}
		time.Sleep(pollInterval)
	}
}

func (l *load) stop() (int64, []error) {
	close(l.done)
	l.wg.Wait()
	return l.pulls.Load(), l.errs
}
