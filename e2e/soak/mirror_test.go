package soak

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// The mirror's configuration: a cap a fraction of the working set, so the
// evictor runs all the time; tags that expire within seconds, so retags
// and outages meet revalidation; piece fills for the larger layers; and
// timeouts short enough that stalls and abandoned uploads resolve within
// the run.
const (
	cacheMaxSize       = 24 << 20
	maxConcurrentFills = 4
	readyTimeout       = 30 * time.Second
	// termGrace is how long a SIGTERM'd mirror may take: its own shutdown
	// grace (30s) and a little more.
	termGrace = 40 * time.Second
)

func mirrorArgs(upstreamURL string) []string {
	return []string{
		"--upstream", upstreamURL,
		"--hosted", hostedPattern,
		"--cache-max-size", strconv.Itoa(cacheMaxSize),
		"--max-concurrent-fills", strconv.Itoa(maxConcurrentFills),
		"--tag-ttl", "3s",
		"--negative-ttl", "2s",
		"--upstream-stall-timeout", "2s",
		"--fill-idle-timeout", "15s",
		"--fill-piece-threshold", "1MiB",
		"--fill-piece-size", "256KiB",
		"--cache-partial-max-age", "2m",
		"--upload-idle-timeout", "10s",
		"--hosted-gc-grace", "1m",
	}
}

// mirror is the one hubmirror of the run, started again and again on the
// same data dir and the same ports, so clients keep their base URL across
// restarts as they would behind a service address.
type mirror struct {
	dataDir, logDir string
	addr, metrics   string
	args            []string
	gen             int

	mu   sync.Mutex // proc changes on restart while the sampler reads it
	proc *proctest.Proc
}

// current is the running (or last) generation's process.
func (m *mirror) current() *proctest.Proc {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.proc
}

func newMirror(dataDir, logDir, upstreamURL string) (*mirror, error) {
	ports := make([]int, 2)
	for i := range ports {
		p, err := proctest.FreePort()
		if err != nil {
			return nil, err
		}
		ports[i] = p
	}
	return &mirror{dataDir: dataDir, logDir: logDir,
		addr:    net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[0])),
		metrics: net.JoinHostPort("127.0.0.1", strconv.Itoa(ports[1])),
		args:    mirrorArgs(upstreamURL)}, nil
}

func (m *mirror) url() string { return "http://" + m.addr }

// start runs the next generation and waits until /v2/ answers.
func (m *mirror) start() error {
	m.gen++
	args := append([]string{"serve", "--listen", m.addr, "--metrics-listen", m.metrics,
		"--data-dir", m.dataDir}, m.args...)
	env := proctest.DropEnv(proctest.OfflineEnv(os.Environ()), "HUBMIRROR_")
	p, err := proctest.Start(m.logDir, fmt.Sprintf("hubmirror-%03d", m.gen), env, hubmirrorBin, args...)
	if err != nil {
		return err
	}
	m.mu.Lock()
	m.proc = p
	m.mu.Unlock()
	return p.WaitReady(readyTimeout, func() error { return probe(m.url() + "/v2/") })
}

// kill is kill -9: no shutdown, no flush, no clean marker.
func (m *mirror) kill() error {
	p := m.current()
	if err := p.Signal(syscall.SIGKILL); err != nil {
		return err
	}
	<-p.Done()
	return nil
}

// term is SIGTERM under load; the error says the mirror had to be killed.
func (m *mirror) term() error { return m.current().Stop(termGrace) }

func probe(u string) error {
	client := &http.Client{Timeout: 2 * time.Second}
	resp, err := client.Get(u)
	if err != nil {
		return err
	}
	return resp.Body.Close()
}
