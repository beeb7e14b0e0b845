// Package haproxytest runs the real HAProxy on loopback with the project's
// own deploy/haproxy/haproxy.cfg, its replica addresses given through the
// environment as in production, and reads its per-server stats, for the
// deploy tests, e2e/ and bench/. Like proctest it takes no *testing.T.
package haproxytest
