package e2e

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// fullDiskSize is the filesystem the data dir lives on: room for Badger's
// index and a few blobs of fullDiskBlob.
const (
	fullDiskSize = "48m"
	fullDiskBlob = 3 << 20
)

// The data dir fills up while the real binary serves: an uncached blob is
// refused with 507 and an OCI body (logged, counted), leaving no file under
// the committed path; what is cached is still served; a push, and a retag
// (a manifest PUT alone), fail before the manifest is accepted, so no tag
// appears; /readyz says so. With room for the blob but not for the index's
// reserve, eviction of the cached blob makes up the difference. Once space
// returns, everything works without a restart.
func TestFullDiskFailsCleanlyAndRecovers(t *testing.T) {
	t.Parallel()
	f := startFullDisk(t)
	filler := fillFilesystem(t, f.mnt)
	f.refusesWhileFull(t)

	if err := os.Truncate(filler, fileSize(t, filler)-(cache.DefaultMinFree+fullDiskBlob/2)); err != nil {
		t.Fatal(err)
	}
	if resp, body := httpDo(t, http.MethodGet, f.blob(f.missD), nil); resp.StatusCode != http.StatusOK || sha(body) != f.missD.Hex {
		t.Errorf("the blob once eviction can make room: %d, %d bytes", resp.StatusCode, len(body))
	}
	if f.stored(f.cachedD) {
		t.Error("the cached blob was not evicted to make room")
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	f.worksAgain(t)
}

// fullDisk is a mirror whose data dir is on a small tmpfs, with one blob
// cached, one not, and a hosted image pushed.
type fullDisk struct {
	mnt, dataDir, crane, app string
	h                        *hubmirror
	cached                   []byte
	cachedD, missD           v1.Hash
	layer                    string // the layer of the pushes made on the full disk
}

func startFullDisk(t *testing.T) *fullDisk {
	t.Helper()
	f := &fullDisk{mnt: mountTmpfs(t, fullDiskSize)}
	hub := upstreamtest.New(t, upstreamtest.Options{})
	f.cached, f.cachedD = hub.AddTestBlob(t, "library/data", fullDiskBlob)
	_, f.missD = hub.AddTestBlob(t, "library/data", fullDiskBlob+1)
	f.dataDir = filepath.Join(f.mnt, "data")
	f.h = runHubmirror(t, f.dataDir, "--upstream", hub.URL, "--hosted", "team/*", "--log-format", "json")
	if resp, body := httpDo(t, http.MethodGet, f.blob(f.cachedD), nil); resp.StatusCode != http.StatusOK || !bytes.Equal(body, f.cached) {
		t.Fatalf("warming the cache: %d, %d bytes", resp.StatusCode, len(body))
	}
	f.crane = goTool(t, craneModule)
	f.app = hostOf(f.h.URL) + "/team/app"
	runTool(t, f.crane, "append", "--insecure", "-f", writeLayerTar(t, "before.bin", 1<<20), "-t", f.app+":1")
	f.layer = writeLayerTar(t, "full.bin", 1<<20)
	return f
}

func (f *fullDisk) blob(d v1.Hash) string { return f.h.URL + "/v2/library/data/blobs/" + d.String() }

func (f *fullDisk) stored(d v1.Hash) bool {
	_, err := os.Stat(filepath.Join(f.dataDir, "blobs", "sha256", d.Hex[:2], d.Hex))
	return !errors.Is(err, os.ErrNotExist)
}

func (f *fullDisk) refusesWhileFull(t *testing.T) {
	resp, body := httpDo(t, http.MethodGet, f.blob(f.missD), nil)
	if resp.StatusCode != http.StatusInsufficientStorage || !strings.Contains(string(body), `"code":"UNAVAILABLE"`) || !strings.Contains(string(body), "disk is full") {
		t.Errorf("an uncached blob on a full disk: %d %s; want 507 with an OCI body", resp.StatusCode, body)
	}
	if f.stored(f.missD) {
		t.Error("the failed fill left a file under the committed path")
	}
	if resp, body := httpDo(t, http.MethodGet, f.blob(f.cachedD), nil); resp.StatusCode != http.StatusOK || !bytes.Equal(body, f.cached) {
		t.Errorf("a cached blob on a full disk: %d, %d bytes; want it served", resp.StatusCode, len(body))
	}
	if out, err := tryTool(t, f.crane, "append", "--insecure", "-f", f.layer, "-t", f.app+":2"); err == nil {
		t.Errorf("a push to a full disk succeeded:\n%s", out)
	}
	if out, err := tryTool(t, f.crane, "tag", "--insecure", f.app+":1", "3"); err == nil {
		t.Errorf("a retag on a full disk succeeded:\n%s", out)
	}
	for _, tag := range []string{"2", "3"} {
		if out, err := tryTool(t, f.crane, "digest", "--insecure", f.app+":"+tag); err == nil {
			t.Errorf("a failed push left tag %s: %s", tag, out)
		}
	}
	if resp, body := httpDo(t, http.MethodGet, f.h.URL+"/readyz", nil); resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "data dir full") {
		t.Errorf("/readyz on a full disk: %d %s; want 503 saying so", resp.StatusCode, body)
	}
	fams, _ := opsScrape(t, f.h.URL)
	if n := fams.sum("hubmirror_fill_errors_total", "reason", "no_space"); n < 1 {
		t.Errorf("fill_errors_total{reason=no_space} = %v after a fill met the full disk", n)
	}
	if !f.h.proc.LogContains("no space left on device") {
		t.Errorf("the log never says the disk is full; see %s", f.h.proc.LogPath())
	}
}

func (f *fullDisk) worksAgain(t *testing.T) {
	if resp, body := httpDo(t, http.MethodGet, f.blob(f.cachedD), nil); resp.StatusCode != http.StatusOK || !bytes.Equal(body, f.cached) {
		t.Errorf("the evicted blob once space returned: %d, %d bytes", resp.StatusCode, len(body))
	}
	if resp, body := httpDo(t, http.MethodGet, f.h.URL+"/readyz", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("/readyz once space returned: %d %s", resp.StatusCode, body)
	}
	runTool(t, f.crane, "append", "--insecure", "-f", f.layer, "-t", f.app+":2")
	runTool(t, f.crane, "tag", "--insecure", f.app+":1", "3")
	for _, tag := range []string{"1", "2", "3"} {
		pulled := filepath.Join(t.TempDir(), "app.tar")
		runTool(t, f.crane, "pull", "--insecure", f.app+":"+tag, pulled)
		runTool(t, f.crane, "validate", "--tarball", pulled)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// mountTmpfs mounts a tmpfs of size on a new directory, unmounted when the
// test ends (after the server on it stops: cleanups run last first).
func mountTmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs for the data dir (the test needs root, as in CI): %v %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", "-l", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v %s", dir, err, out)
		}
	})
	return dir
}

// fillFilesystem writes a file in dir until the filesystem is full, and
// returns its path.
func fillFilesystem(t *testing.T, dir string) string {
	t.Helper()
	path := filepath.Join(dir, "filler")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for range 1 << 12 { // bounded: 4 GiB is more than any test filesystem
		if _, err := f.Write(chunk); err != nil {
			if !errors.Is(err, syscall.ENOSPC) {
				t.Fatal(err)
			}
			for _, small := range []int{64 << 10, 4 << 10, 512, 1} {
				for {
					if _, err := f.Write(chunk[:small]); err != nil {
						break
					}
				}
			}
			return path
		}
	}
	t.Fatalf("%s never filled", dir)
	return ""
}
