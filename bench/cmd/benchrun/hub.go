package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/hubmirror/hubmirror/bench/internal/hubinfo"
	"github.com/hubmirror/hubmirror/internal/proctest"
)

// seedTimeout bounds fakehub's start: generating, hashing and exporting a
// couple of GiB of random blobs takes seconds, not minutes.
const seedTimeout = 3 * time.Minute

// hub is the running fakehub.
type hub struct {
	hubinfo.Info
	proc *proctest.Proc
}

// startHub runs fakehub and waits for its description. Blobs are seeded in
// the order of sizes; their files land in exportDir for nginx. extra are
// more fakehub flags.
func startHub(ps *procs, bin, bandwidth string, sizes []string, tags, farImages int, exportDir string, extra ...string) (*hub, error) {
	out := filepath.Join(ps.dir, "fakehub.json")
	args := append([]string{"--bandwidth", bandwidth, "--blob-size", strings.Join(sizes, ","),
		"--export", exportDir, "--tags", fmt.Sprint(tags), "--far-images", fmt.Sprint(farImages), "--out", out}, extra...)
	p, err := ps.start("fakehub", offlineEnv(), bin, args...)
	if err != nil {
		return nil, err
	}
	h := &hub{proc: p}
	err = waitReady(p, seedTimeout, func() error {
		b, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		return json.Unmarshal(b, &h.Info)
	})
	return h, err
}

// counts asks fakehub what upstream has seen since the last reset.
func (h *hub) counts() (hubinfo.Counts, error) {
	var c hubinfo.Counts
	resp, err := control.Get(h.Control + "/_counts")
	if err != nil {
		return c, err
	}
	defer resp.Body.Close()
	return c, json.NewDecoder(resp.Body).Decode(&c)
}

func (h *hub) reset() error { return h.call(http.MethodPost, "/_reset", nil) }

// setLink switches the hub's emulated link (fakehub's PUT /_link).
func (h *hub) setLink(l hubinfo.Link) error {
	body, err := json.Marshal(l)
	if err != nil {
		return err
	}
	return h.call(http.MethodPut, "/_link", body)
}

// call makes one request of fakehub's control listener, which answers 204.
func (h *hub) call(method, path string, body []byte) error {
	req, err := http.NewRequest(method, h.Control+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	resp, err := control.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("fakehub %s %s: %s", method, path, resp.Status)
	}
	return nil
}

// control talks to fakehub's control listener and to readiness probes.
var control = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}
