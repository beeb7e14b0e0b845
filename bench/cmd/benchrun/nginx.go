package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// nginxConfig serves root in nginx's two ways of sending a file, one
// server (port) each: sendfile (the kernel copies page cache to the
// socket) and read(2) into 1 MiB buffers then write(2). Which is faster
// depends on the machine — on this VM the buffered one is, by ~2× — so
// scenario 1 measures both and takes the faster as the reference: the
// limit a blob server here can approach. Every path nginx would write lives
// under the prefix, so it needs nothing from /etc/nginx or /var/lib/nginx.
const nginxConfig = `daemon off;
master_process on;
worker_processes %[5]s;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 4096; } # scenario 12 holds 500 clients at once
http {
  default_type application/octet-stream;
  access_log off;
  keepalive_timeout 30s;
  # Go's server keeps a connection for any number of requests; nginx's
  # default closes it after 1000, which would cost the reference a
  # reconnect per 1000 manifest requests under wrk.
  keepalive_requests 1000000;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s;
    root %[3]s;
    sendfile on;
    tcp_nopush on;
  }
  server {
    listen %[4]s;
    root %[3]s;
    sendfile off;
    output_buffers 4 1m;
    tcp_nopush on;
  }
}
`

// The names of nginx's two modes in the results; "nginx" alone is the
// faster of them in scenario 1, and the sendfile server elsewhere.
const (
	nginxSendfile = "nginx sendfile"
	nginxBuffered = "nginx buffered"
)

// startNginx serves the files in root on loopback, returning the sendfile
// server and the buffered one (the same process). The worker processes
// run as nobody, so root must be world-readable.
func startNginx(ps *procs, root string) (sendfile, buffered *system, err error) {
	return startNginxAs(ps, "nginx", root, "auto")
}

// startOneCoreNginx is nginx confined to cpu with one worker, the best
// nginx on one core (a second worker there only adds switches between
// them: 52 k manifest GETs/s against 66 k with one, measured here).
func startOneCoreNginx(ps *procs, root, cpu string) (sendfile *system, err error) {
	sendfile, _, err = startNginxAs(ps, "nginx-core"+cpu, root, "1", "taskset", "-c", cpu)
	return sendfile, err
}

// startNginxAs starts nginx under name (its prefix directory) with the
// given worker_processes, its command line after the launcher's, if any.
func startNginxAs(ps *procs, name, root, workers string, launcher ...string) (sendfile, buffered *system, err error) {
	var addrs [2]string
	for i := range addrs {
		port, err := proctest.FreePort()
		if err != nil {
			return nil, nil, err
		}
		addrs[i] = fmt.Sprintf("127.0.0.1:%d", port)
	}
	prefix := filepath.Join(ps.dir, name)
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return nil, nil, err
	}
	cfg := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, nginxConfig, prefix, addrs[0], root, addrs[1], workers), 0o644); err != nil {
		return nil, nil, err
	}
	cmd := append(launcher, "nginx", "-p", prefix, "-c", cfg, "-e", filepath.Join(prefix, "error.log"))
	p, err := ps.start(name, offlineEnv(), cmd[0], cmd[1:]...)
	if err != nil {
		return nil, nil, err
	}
	sendfile = &system{name: "nginx", url: "http://" + addrs[0], proc: p}
	buffered = &system{name: nginxBuffered, url: "http://" + addrs[1], proc: p}
	err = waitReady(p, readyTimeout, func() error {
		if err := probe(sendfile.url + "/"); err != nil {
			return err
		}
		return probe(buffered.url + "/")
	})
	return sendfile, buffered, err
}
