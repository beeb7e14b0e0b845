package haproxytest

import (
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"time"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// Replicas is how many servers haproxy.cfg names (HUBMIRROR_REPLICA1..3).
const Replicas = 3

// readyTimeout bounds HAProxy's start; it parses and binds in milliseconds.
const readyTimeout = 15 * time.Second

// Starter starts one named process; the caller decides where its log
// goes and when it stops (dockertest.Starter has the same shape).
type Starter func(name string, env []string, bin string, args ...string) (*proctest.Proc, error)

// Balancer is a running HAProxy.
type Balancer struct {
	URL      string // the registry frontend: "http://127.0.0.1:PORT"
	StatsURL string // the stats frontend
	Proc     *proctest.Proc
}

// Env is what haproxy.cfg reads from the environment: the frontends'
// addresses ("" keeps the file's default) and the replicas' host:port, in
// order.
func Env(bind, statsBind string, replicas []string) ([]string, error) {
	if len(replicas) != Replicas {
		return nil, fmt.Errorf("haproxy.cfg names %d replicas, got %d", Replicas, len(replicas))
	}
	var env []string
	if bind != "" {
		env = append(env, "HAPROXY_BIND="+bind)
	}
	if statsBind != "" {
		env = append(env, "HAPROXY_STATS_BIND="+statsBind)
	}
	for i, r := range replicas {
		env = append(env, "HUBMIRROR_REPLICA"+strconv.Itoa(i+1)+"="+r)
	}
	return env, nil
}

// Check is `haproxy -c` with the file's own frontend addresses: the file
// parses and every address resolves.
func Check(cfg string, replicas []string) ([]byte, error) {
	env, err := Env("", "", replicas)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command("haproxy", "-c", "-f", cfg)
	cmd.Env = env
	return cmd.CombinedOutput()
}

// Start runs HAProxy in the foreground (-db) with cfg in front of
// replicas (host:port each), on free loopback ports, and returns once its
// stats frontend answers.
func Start(start Starter, cfg string, replicas []string) (*Balancer, error) {
	bind, err := freeAddr()
	if err != nil {
		return nil, err
	}
	stats, err := freeAddr()
	if err != nil {
		return nil, err
	}
	env, err := Env(bind, stats, replicas)
	if err != nil {
		return nil, err
	}
	p, err := start("haproxy", env, "haproxy", "-db", "-f", cfg)
	if err != nil {
		return nil, err
	}
	b := &Balancer{URL: "http://" + bind, StatsURL: "http://" + stats, Proc: p}
	return b, p.WaitReady(readyTimeout, b.alive)
}

func (b *Balancer) alive() error {
	resp, err := (&http.Client{Timeout: 2 * time.Second}).Get(b.StatsURL + "/healthz")
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("haproxy /healthz: %s", resp.Status)
	}
	return nil
}

func freeAddr() (string, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return "", err
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), nil
}
