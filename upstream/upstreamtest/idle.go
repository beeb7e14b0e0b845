package upstreamtest

import (
	"net"
	"net/http"
	"sync"
)

// idleDropper closes the Hub's keep-alive connections on demand. A
// connection still finishing its response when asked is closed the
// moment it turns idle: the client can read a whole response before the
// server marks the connection idle, so closing only the idle ones (what
// http.Server.SetKeepAlivesEnabled does) sometimes closes none, and the
// client goes on reusing the connection.
type idleDropper struct {
	mu     sync.Mutex
	states map[net.Conn]http.ConnState
	doomed map[net.Conn]bool // close when next idle
}

// track is the servers' ConnState hook.
func (d *idleDropper) track(c net.Conn, st http.ConnState) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.states == nil {
		d.states, d.doomed = map[net.Conn]http.ConnState{}, map[net.Conn]bool{}
	}
	switch {
	case st == http.StateClosed || st == http.StateHijacked:
		delete(d.states, c)
		delete(d.doomed, c)
	case st == http.StateIdle && d.doomed[c]:
		delete(d.doomed, c)
		c.Close() // the server sees the close and reports StateClosed
	default:
		d.states[c] = st
	}
}

// drop closes the idle connections, and the active ones once their
// response is done; a connection still waiting for its first request is
// left alone.
func (d *idleDropper) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	for c, st := range d.states {
		switch st {
		case http.StateIdle:
			c.Close()
		case http.StateActive:
			d.doomed[c] = true
		}
	}
}
