// Package dockertest runs a private containerd and dockerd whose every
// path (data root, exec root, sockets, pidfile, config) lies in directories
// the caller chooses, kept off the host's network configuration (vfs, no
// bridge, no iptables), so that e2e tests and the benchmark can pull
// through a mirror with real Docker without touching the host's daemon.
package dockertest
