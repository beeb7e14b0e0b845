package e2e

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// The real binary restarted on a data dir damaged while it was stopped:
// a mirrored blob with a flipped byte is never served whole (the first
// read is cut before its end, and the very next request fetches it again
// and is served right); a truncated index table makes serve refuse with
// the command to run, and after `hubmirror cache rebuild` it serves the
// cache again, the rebuild having said that hosted tags are not rebuilt.
func TestDamagedDataDirAtStart(t *testing.T) {
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	body, d := hub.AddTestBlob(t, "library/data", 1<<20)
	dir := t.TempDir()
	args := []string{"--upstream", hub.URL, "--hosted", "team/*"}
	h := runHubmirror(t, dir, args...)
	blob := func(h *hubmirror) string { return h.URL + "/v2/library/data/blobs/" + d.String() }
	if resp, got := httpDo(t, http.MethodGet, blob(h), nil); resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("first pull: %d", resp.StatusCode)
	}
	h.Stop(t)

	flipOnDisk(t, filepath.Join(dir, "blobs", "sha256", d.Hex[:2], d.Hex), 4096)
	h = runHubmirror(t, dir, args...)
	if err := opsTryGet(blob(h)); err == nil {
		t.Error("a blob damaged on disk was served as a complete 200")
	}
	fetched := hub.Counts().CDNGets
	if resp, got := httpDo(t, http.MethodGet, blob(h), nil); resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) {
		t.Fatalf("the request after the damaged read: %d, %d bytes; want the blob fetched again", resp.StatusCode, len(got))
	}
	if hub.Counts().CDNGets == fetched {
		t.Error("the blob served after the damage did not come from upstream again")
	}
	h.Stop(t)

	truncateTables(t, filepath.Join(dir, "index"))
	out, err := proctest.Run(context.Background(), time.Minute, offlineEnv(), buildHubmirror(t),
		append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dir}, args...)...)
	if err == nil || !strings.Contains(out, "hubmirror cache rebuild --data-dir "+dir) {
		t.Fatalf("serve on a truncated index table: %v, output:\n%s\nwant a refusal naming the rebuild", err, out)
	}
	out, err = proctest.Run(context.Background(), time.Minute, offlineEnv(), buildHubmirror(t), "cache", "rebuild", "--data-dir", dir)
	if err != nil || !strings.Contains(out, "rebuilt the index from blobs/: 1 blobs") || !strings.Contains(out, "hosted repositories") {
		t.Fatalf("cache rebuild: %v\n%s", err, out)
	}
	t.Logf("hubmirror cache rebuild:\n%s", out)
	h = runHubmirror(t, dir, args...)
	fetched = hub.Counts().CDNGets
	if resp, got := httpDo(t, http.MethodGet, blob(h), nil); resp.StatusCode != http.StatusOK || !bytes.Equal(got, body) || hub.Counts().CDNGets != fetched {
		t.Errorf("after the rebuild: %d, %d bytes, %d upstream fetches; want the cached blob", resp.StatusCode, len(got), hub.Counts().CDNGets-fetched)
	}
}

func flipOnDisk(t *testing.T, path string, at int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := []byte{0}
	if _, err := f.ReadAt(b, at); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x40
	if _, err := f.WriteAt(b, at); err != nil {
		t.Fatal(err)
	}
}

func truncateTables(t *testing.T, index string) {
	t.Helper()
	tables, _ := filepath.Glob(filepath.Join(index, "*.sst"))
	if len(tables) == 0 {
		t.Fatalf("no index table in %s to damage", index)
	}
	for _, p := range tables {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, fi.Size()/2); err != nil {
			t.Fatal(err)
		}
	}
}
