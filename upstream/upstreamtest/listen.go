package upstreamtest

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// listen binds the registry, token service and CDN. Each is its own server
// on its own port because Docker Hub's are separate hosts, and a mirror must
// not leak credentials from one to another.
func (h *Hub) listen() error {
	reg, err := h.serve("127.0.0.1", http.HandlerFunc(h.serveRegistry), &h.count.registryConns)
	if err != nil {
		return err
	}
	h.URL = "http://" + reg
	auth, err := h.serve("127.0.0.1", http.HandlerFunc(h.serveToken), &h.count.tokenConns)
	if err != nil {
		return err
	}
	h.Realm = "http://" + advertise("localhost", auth) + "/token"
	cdn, err := h.serve(cdnBindAddr(h.opts.CDNHost), http.HandlerFunc(h.serveCDN), &h.count.cdnConns)
	if err != nil {
		return err
	}
	h.CDNURL = "http://" + advertise(h.opts.CDNHost, cdn)
	return nil
}

// cdnBindAddr listens on CDNHost when it is an IP literal (127.0.0.2 is
// loopback on Linux) so the redirect really lands there; any name is served
// from 127.0.0.1.
func cdnBindAddr(host string) string {
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return host
	}
	return "127.0.0.1"
}

// advertise swaps the bound host for the name clients should use.
func advertise(host, bound string) string {
	_, port, _ := net.SplitHostPort(bound)
	return net.JoinHostPort(host, port)
}

// serve starts one listener and counts its accepted connections on conns.
// Every listener composes the same wrappers, outermost first:
//  1. dropWhenOffline — an offline Hub closes the connection before anything
//     is counted, as an unreachable host would;
//  2. delay — SetLatency and SetRTT apply before any header, for every
//     endpoint;
//  3. the listener's handler, which counts, authorizes and injects faults.
func (h *Hub) serve(ip string, handler http.Handler, conns *atomic.Int64) (string, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return "", fmt.Errorf("listen on %s: %w", ip, err)
	}
	srv := &http.Server{
		Handler:           h.dropWhenOffline(h.delay(handler)),
		ReadHeaderTimeout: 10 * time.Second,
		ConnContext:       trackConns(conns),
		ConnState:         h.idle.track,
	}
	h.servers = append(h.servers, srv)
	go srv.Serve(ln)
	return ln.Addr().String(), nil
}

func (h *Hub) dropWhenOffline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h.offline.Load() {
			hangUp(w)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// hangUp closes the connection without a response.
func hangUp(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	conn.Close()
}

func (h *Hub) delay(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		d := h.requestDelay(r)
		if d > 0 && !h.pause(r.Context(), d) {
			return
		}
		next.ServeHTTP(w, r)
	})
}

// pause sleeps for d unless the request or the Hub ends first; it reports
// whether the full time passed.
func (h *Hub) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-h.done:
	}
	return false
}

// itoa keeps header formatting terse at call sites.
func itoa(n int64) string { return strconv.FormatInt(n, 10) }
