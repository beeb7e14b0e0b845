package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/hubmirror/hubmirror/internal/proctest"
)

// nginxConfig serves root with sendfile, the physical limit a blob server
// on this machine can approach. Every path nginx would write lives under
// the prefix, so it needs nothing from /etc/nginx or /var/lib/nginx.
const nginxConfig = `daemon off;
master_process on;
worker_processes auto;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log warn;
events { worker_connections 256; }
http {
  default_type application/octet-stream;
  sendfile on;
  tcp_nopush on;
  access_log off;
  keepalive_timeout 30s;
  client_body_temp_path %[1]s/body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  server {
    listen %[2]s;
    root %[3]s;
  }
}
`

// startNginx serves the files in root on loopback. The worker processes
// run as nobody, so root must be world-readable.
func startNginx(ps *procs, root string) (*system, error) {
	port, err := proctest.FreePort()
	if err != nil {
		return nil, err
	}
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	prefix := filepath.Join(ps.dir, "nginx")
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return nil, err
	}
	cfg := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, nginxConfig, prefix, addr, root), 0o644); err != nil {
		return nil, err
	}
	p, err := ps.start("nginx", offlineEnv(), "nginx", "-p", prefix, "-c", cfg, "-e", filepath.Join(prefix, "error.log"))
	if err != nil {
		return nil, err
	}
	s := &system{name: "nginx", url: "http://" + addr, proc: p}
	return s, waitReady(p, readyTimeout, func() error { return probe(s.url + "/") })
}
