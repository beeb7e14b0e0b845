package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// readyTimeout bounds a server's start.
const readyTimeout = 30 * time.Second

// system is one registry under test, serving the fake hub's content.
type system struct {
	name string // as the results table names it
	url  string // http://127.0.0.1:PORT
	proc *proctest.Proc
}

// startHubmirror runs `hubmirror serve` with its defaults, except where it
// listens, where it keeps its cache, and which upstream it mirrors; extra
// flags (--hubmirror-flags) are for trying other settings, never for the
// published run.
func startHubmirror(ps *procs, bin, upstreamURL string, extra ...string) (*system, error) {
	// Scenario 9 pushes to push/*; fakehub's names are bench/….
	return startHubmirrorAs(ps, bin, "hubmirror", filepath.Join(ps.dir, "hubmirror-data"), upstreamURL,
		append([]string{"--hosted", "push/*"}, extra...)...)
}

// startHubmirrorAs runs one `hubmirror serve` named name (its log, its
// results) with its cache in dataDir, on a free loopback port.
func startHubmirrorAs(ps *procs, bin, name, dataDir, upstreamURL string, extra ...string) (*system, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	args := append([]string{"serve", "--listen", addr, "--data-dir", dataDir, "--upstream", upstreamURL}, extra...)
	p, err := ps.start(name, offlineEnv(), bin, args...)
	if err != nil {
		return nil, err
	}
	s := &system{name: name, url: "http://" + addr, proc: p}
	return s, waitReady(p, readyTimeout, func() error { return probe(s.url + "/v2/") })
}

// plainRegistryConfig is the distribution registry as a private registry:
// filesystem storage and the in-memory blob descriptor cache its docs
// recommend. Scenario 9 pushes to it as it is.
const plainRegistryConfig = `version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: %s
  cache:
    blobdescriptor: inmemory
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
`

// registryConfig is the same registry as a pull-through cache of the fake
// hub. Its token dance with the hub is its own (anonymous pulls, as
// hubmirror's).
const registryConfig = plainRegistryConfig + `proxy:
  remoteurl: %s
`

// startRegistry runs the distribution registry in proxy mode.
func startRegistry(ps *procs, bin, upstreamURL string) (*system, error) {
	return runRegistry(ps, bin, "registry", func(data, addr string) string {
		return fmt.Sprintf(registryConfig, data, addr, upstreamURL)
	})
}

// startPlainRegistry runs the distribution registry without a proxy, the
// way registry:2 runs by default, so that it accepts pushes.
func startPlainRegistry(ps *procs, bin string) (*system, error) {
	return runRegistry(ps, bin, "registry-plain", func(data, addr string) string {
		return fmt.Sprintf(plainRegistryConfig, data, addr)
	})
}

// runRegistry writes the config that config returns for a data dir and
// an address, and serves it. Tracing is on by default in v3 and would try
// to export to an OTLP collector on localhost; OTEL_TRACES_EXPORTER=none
// turns the exporter off as an operator without a collector would, and
// leaves the rest as shipped.
func runRegistry(ps *procs, bin, name string, config func(data, addr string) string) (*system, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	cfg := filepath.Join(ps.dir, name+".yml")
	if err := os.WriteFile(cfg, []byte(config(filepath.Join(ps.dir, name+"-data"), addr)), 0o644); err != nil {
		return nil, err
	}
	p, err := ps.start(name, offlineEnv("OTEL_TRACES_EXPORTER=none"), bin, "serve", cfg)
	if err != nil {
		return nil, err
	}
	s := &system{name: regName, url: "http://" + addr, proc: p}
	return s, waitReady(p, readyTimeout, func() error { return probe(s.url + "/v2/") })
}

// probe succeeds once the URL gets any HTTP answer.
func probe(url string) error {
	resp, err := control.Get(url)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
