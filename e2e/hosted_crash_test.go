package e2e

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// crashLayer is the layer being pushed when hubmirror is killed.
const crashLayer = 64 << 20

// kill -9 of the real binary half-way through a 64 MiB upload, then a
// restart on the same data dir: the partial upload is nowhere to be
// seen (no blob, no session, no repository), and pushing the layer again
// and an image on it succeeds.
func TestKillMidUploadLeavesNothingVisible(t *testing.T) {
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	dir := t.TempDir()
	args := []string{"--upstream", hub.URL, "--hosted", "team/*"}
	h := runHubmirror(t, dir, args...)
	layer := make([]byte, crashLayer)
	rand.Read(layer)
	sum := sha256.Sum256(layer)
	digest := "sha256:" + hex.EncodeToString(sum[:])

	session := startUpload(t, h.URL, "team/app")
	sent := patchUntilKilled(t, h, session, layer[:crashLayer/2])
	t.Logf("killed hubmirror with %d MiB of %d sent", sent>>20, crashLayer>>20)

	h = runHubmirror(t, dir, args...)
	blob := h.URL + "/v2/team/app/blobs/" + digest
	for what, u := range map[string]string{"blob": blob, "upload session": h.URL + session.Path, "tags": h.URL + "/v2/team/app/tags/list"} {
		if resp, body := httpDo(t, http.MethodGet, u, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("after the crash, GET %s: %d %s, want 404", what, resp.StatusCode, body)
		}
	}
	if _, body := httpDo(t, http.MethodGet, h.URL+"/v2/_catalog", nil); strings.Contains(string(body), "team/app") {
		t.Errorf("after the crash the catalog lists team/app: %s", body)
	}

	// Push again: the layer in one monolithic upload, then crane an image.
	put := startUpload(t, h.URL, "team/app")
	q := put.Query()
	q.Set("digest", digest)
	put.RawQuery = q.Encode()
	req, _ := http.NewRequest(http.MethodPut, h.URL+put.String(), bytes.NewReader(layer))
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("push of the layer after restart: %v %v", err, resp)
	}
	resp.Body.Close()
	if resp, _ := httpDo(t, http.MethodHead, blob, nil); resp.StatusCode != 200 || resp.ContentLength != crashLayer {
		t.Errorf("HEAD of the pushed layer: %d, %d bytes; want 200, %d", resp.StatusCode, resp.ContentLength, crashLayer)
	}
	crane := goTool(t, craneModule)
	runTool(t, crane, "append", "--insecure", "-f", writeLayerTar(t, "after.bin", 1<<20), "-t", hostOf(h.URL)+"/team/app:after")
	runTool(t, crane, "validate", "--insecure", "--remote", hostOf(h.URL)+"/team/app:after")
	if n := hub.RequestsFor("team/app"); n != 0 {
		t.Errorf("%d requests for team/app reached the hub", n)
	}
}

// startUpload opens an upload session and returns its Location.
func startUpload(t *testing.T, base, repo string) *url.URL {
	t.Helper()
	resp, body := httpDo(t, http.MethodPost, base+"/v2/"+repo+"/blobs/uploads/", nil)
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusAccepted || err != nil || loc.Path == "" {
		t.Fatalf("POST upload: %d %q %s", resp.StatusCode, resp.Header.Get("Location"), body)
	}
	loc.Scheme, loc.Host = "", "" // the tests join it to whichever server runs
	return loc
}

// patchUntilKilled streams part into the session as docker does (one
// PATCH, no Content-Length) and kills hubmirror with SIGKILL once the
// client has handed all of part to the connection, before the rest of
// the layer exists. It returns the bytes sent.
func patchUntilKilled(t *testing.T, h *hubmirror, session *url.URL, part []byte) int {
	t.Helper()
	pr, pw := io.Pipe()
	req, err := http.NewRequest(http.MethodPatch, h.URL+session.String(), pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	done := make(chan struct{})
	go func() {
		defer close(done)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			resp.Body.Close()
		}
	}()
	n, err := pw.Write(part) // returns once the transport has taken it all
	if err != nil {
		t.Fatalf("streaming the layer: %v after %d bytes", err, n)
	}
	if err := h.proc.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-h.proc.Done()
	h.stopped = true
	pw.CloseWithError(io.ErrClosedPipe)
	<-done
	return n
}
