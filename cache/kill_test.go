package cache_test

import (
	"bufio"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/cache/cachetest"
)

const (
	helperEnv    = "HUBMIRROR_CACHE_HELPER"
	helperDirEnv = "HUBMIRROR_CACHE_HELPER_DIR"
	// helperLife bounds a helper the parent somehow fails to kill.
	helperLife = 30 * time.Second
	idleSettle = 5 * time.Second
)

// TestHelperProcess is not a test: the tests below run the test binary
// again with helperEnv set, and this becomes a process they can SIGKILL.
func TestHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("helper process for the kill tests")
	}
	if mode == "evict-held" { // opens its own store, the unlinker held
		helperEvictHeld(t, os.Getenv(helperDirEnv))
		time.Sleep(helperLife)
		os.Exit(3)
	}
	var o cache.Options
	if mode == "churn" {
		o.MaxSize = 200 << 10 // evictions all the time
	}
	s, err := cache.OpenWithOptions(os.Getenv(helperDirEnv), o)
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(2)
	}
	switch mode {
	case "half-fill":
		helperHalfFill(t, s)
	case "churn":
		helperChurn(t, s)
	case "rss":
		helperIdleRSS(s)
	case "half-upload":
		helperHalfUpload(t, s)
	case "pieces":
		helperPieces(t, s)
	}
	time.Sleep(helperLife)
	os.Exit(3)
}

// helperHalfFill commits one blob, writes half of another, says so, and
// waits to be killed.
func helperHalfFill(t *testing.T, s *cache.Store) {
	cachetest.Fill(t, s, cachetest.NewBlob("committed", 4096))
	half := cachetest.NewBlob("half", 4096)
	p, err := s.Create(half.Digest, 4096, "")
	if err != nil {
		os.Exit(2)
	}
	p.Write(half.Body[:2048]) // in the kernel's hands: a kill cannot lose it
	fmt.Println("ready")
}

// helperChurn fills, reads, re-tags and evicts without pause until killed.
func helperChurn(t *testing.T, s *cache.Store) {
	fmt.Println("ready")
	deadline := time.Now().Add(helperLife)
	for n := 0; time.Now().Before(deadline); n++ {
		b := cachetest.NewBlob(fmt.Sprint("churn", os.Getpid(), n), 1024+rand.IntN(32<<10))
		cachetest.Fill(t, s, b)
		s.SetTag("docker.io", "library/churn", strconv.Itoa(n%7), cache.Tag{Digest: b.Digest})
		cachetest.Present(s, b)
		if n%50 == 0 {
			s.Flush()
		}
	}
}

// startHelper runs the helper in mode on dir and waits until it is ready.
func startHelper(t *testing.T, mode, dir string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode, helperDirEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	ready := make(chan string, 1)
	go func() {
		line, _ := bufio.NewReader(out).ReadString('\n')
		ready <- line
	}()
	select {
	case line := <-ready:
		if line != "ready\n" {
			t.Fatalf("helper said %q", line)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("helper never became ready")
	}
	return cmd
}

func kill(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
}

func TestKilledMidFillLeavesNoPartialBlobAndNoTempFile(t *testing.T) {
	dir := t.TempDir()
	kill(t, startHelper(t, "half-fill", dir))
	if temps := cachetest.Temps(t, dir); len(temps) != 1 {
		t.Fatalf("expected the killed fill's temp file, found %v", temps)
	}
	s := mustOpen(t, dir, cache.Options{})
	if _, err := s.Open(cachetest.NewBlob("half", 4096).Digest); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("half-written blob visible: %v", err)
	}
	if !cachetest.Present(s, cachetest.NewBlob("committed", 4096)) {
		t.Error("committed blob lost")
	}
	if temps := cachetest.Temps(t, dir); len(temps) != 0 {
		t.Errorf("temp files left after restart: %v", temps)
	}
	cachetest.AssertAccounting(t, s)
}

// A process killed at an arbitrary moment of fills, tag writes, flushes and
// evictions leaves a store that opens with exact accounting and only
// verified content.
func TestKilledAtAnyMomentStartsClean(t *testing.T) {
	dir := t.TempDir()
	for round := range 4 {
		cmd := startHelper(t, "churn", dir)
		time.Sleep(time.Duration(50+rand.IntN(400)) * time.Millisecond)
		kill(t, cmd)
		s, err := cache.OpenWithOptions(dir, cache.Options{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		cachetest.AssertAccounting(t, s)
		got, err := s.Verify(nil)
		if err != nil || got.Corrupt != 0 || got.Missing != 0 {
			t.Errorf("round %d: Verify = %+v, %v", round, got, err)
		}
		if temps := cachetest.Temps(t, dir); len(temps) != 0 {
			t.Errorf("round %d: temp files left: %v", round, temps)
		}
		t.Logf("round %d: %d blobs, %d bytes after restart", round, s.Entries(), s.Used())
		s.Close()
	}
}

// piecesBlob is the helper's n-th blob in "pieces" mode; the parent makes
// the same ones to finish what the helper left.
func piecesBlob(n int) cachetest.Blob { return cachetest.NewBlob(fmt.Sprint("pieces", n), 6*piece+n) }

// helperPieces fills blobs as pieces in random order, checkpointing after
// each, shelving some part-way and resuming them, until killed.
func helperPieces(t *testing.T, s *cache.Store) {
	fmt.Println("ready")
	for n := 0; n < piecesBlobs; n++ {
		b := piecesBlob(n)
		if cachetest.PresentNoTouch(s, b) {
			continue // stored in an earlier round; a fill re-checks too
		}
		p, err := s.Resume(b.Digest, "")
		if err != nil {
			p, _ = s.Create(b.Digest, int64(len(b.Body)), "")
		}
		for _, i := range rand.Perm(7) {
			writePieces(t, p, b, i)
			p.Checkpoint()
			if rand.IntN(10) == 0 {
				break // shelved part-way: left for the restart
			}
		}
		if len(p.Missing()) == 0 {
			p.Commit()
		} else {
			p.Shelve()
		}
		p.Close()
	}
	time.Sleep(helperLife)
}

const piecesBlobs = 400

// A process killed at an arbitrary moment of piece writes, checkpoints and
// commits leaves partial fills that count exactly, are never visible as
// blobs, and every one of which, continued, verifies: a map never names
// bytes the kill lost.
func TestKilledDuringPiecesKeepsOnlyGoodPartials(t *testing.T) {
	dir := t.TempDir()
	for round := range 3 {
		cmd := startHelper(t, "pieces", dir)
		time.Sleep(time.Duration(20+rand.IntN(200)) * time.Millisecond)
		kill(t, cmd)
		s, err := cache.OpenWithOptions(dir, cache.Options{})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		cachetest.AssertAccounting(t, s)
		partial := s.PartialBytes()
		resumed := 0
		for n := range piecesBlobs {
			b := piecesBlob(n)
			p, err := s.Resume(b.Digest, "")
			if err != nil {
				continue
			}
			resumed++
			if cachetest.PresentNoTouch(s, b) {
				t.Errorf("round %d: blob %d is both stored and partial", round, n)
			}
			for _, gap := range p.Missing() {
				p.WriteAt(b.Body[gap.From:gap.To], gap.From)
			}
			if err := p.Commit(); err != nil {
				t.Errorf("round %d: blob %d, continued from its partial fill: %v", round, n, err)
			}
			p.Close()
		}
		got, err := s.Verify(nil)
		if err != nil || got.Corrupt != 0 || got.Missing != 0 {
			t.Errorf("round %d: Verify = %+v, %v", round, got, err)
		}
		cachetest.AssertAccounting(t, s)
		t.Logf("round %d: %d blobs, %d partial fills (%d bytes) continued", round, s.Entries(), resumed, partial)
		s.Close()
	}
}

// helperIdleRSS looks up every entry once (warming what a busy mirror
// warms), lets the process settle and prints its resident set in KiB.
func helperIdleRSS(s *cache.Store) {
	s.Walk(func(d v1.Hash, _ cache.Meta) error {
		s.Stat(d)
		return nil
	})
	// Badger hands its table-building buffers back to a pool that frees
	// one every two idle seconds; idle means after that.
	time.Sleep(idleSettle)
	runtime.GC()
	debug.FreeOSMemory()
	status, _ := os.ReadFile("/proc/self/status")
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			fmt.Println(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			os.Exit(0)
		}
	}
	os.Exit(4)
}
