package upstreamtest

import (
	"net"
	"sync/atomic"
	"testing"
)

// Bystander is a listener standing in for a host the mirror must never
// reach: tests name it where a client could smuggle a host in (?ns=, a
// path prefix) and check it saw no connection.
type Bystander struct {
	Addr  string // host:port to name in requests
	dials atomic.Int64
}

// NewBystander listens on 127.0.0.1 until the test ends.
func NewBystander(tb testing.TB) *Bystander {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	b := &Bystander{Addr: ln.Addr().String()}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			b.dials.Add(1)
			c.Close()
		}
	}()
	return b
}

// Connections counts the connections it has accepted.
func (b *Bystander) Connections() int64 { return b.dials.Load() }
