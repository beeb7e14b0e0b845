package upstream

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// h2Registry is an https server offering HTTP/2 that counts connections
// and the requests of each protocol, and holds blob GETs until all wanted
// ones arrived, so they provably overlap.
type h2Registry struct {
	*httptest.Server
	conns, http1, http2 atomic.Int64
	blobs               sync.WaitGroup
}

func startH2Registry(t *testing.T, concurrentBlobs int) *h2Registry {
	t.Helper()
	reg := &h2Registry{}
	reg.blobs.Add(concurrentBlobs)
	reg.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor == 2 {
			reg.http2.Add(1)
		} else {
			reg.http1.Add(1)
		}
		if r.URL.Path != "/v2/" {
			reg.blobs.Done()
			reg.blobs.Wait()
		}
		w.WriteHeader(http.StatusOK)
	}))
	reg.EnableHTTP2 = true
	reg.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			reg.conns.Add(1)
		}
	}
	reg.StartTLS()
	t.Cleanup(reg.Close)
	return reg
}

// An https upstream that offers HTTP/2 gets it for its small requests, so a
// pull's pings and manifests share one connection instead of paying a TCP
// and TLS handshake each. (The client dials with its own dialer, which turns
// HTTP/2 off unless the transport forces the attempt.)
func TestHTTPSUpstreamGetsHTTP2(t *testing.T) {
	reg := startH2Registry(t, 0)
	c := trustingClient(t, reg)
	// One request first: concurrent first requests may each dial before
	// the first connection has said it speaks HTTP/2.
	if _, err := c.ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := c.ping(t.Context()); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if reg.http1.Load() != 0 || reg.conns.Load() != 1 {
		t.Errorf("9 requests, 8 of them at once: %d over HTTP/1, %d connections; want HTTP/2 over 1", reg.http1.Load(), reg.conns.Load())
	}
}

// Blob bodies fetched at once travel on separate connections, even from a
// registry that offers HTTP/2: on a long link each TCP flow gets about
// window ÷ RTT, so parallel downloads multiplexed onto one would gain
// nothing.
func TestBlobBodiesGetConnectionsOfTheirOwn(t *testing.T) {
	const n = 4
	reg := startH2Registry(t, n)
	c := trustingClient(t, reg)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.blobRange(t.Context(), "library/x", blobtest.Digest([]byte{byte(i)}), 0, -1, false)
			if err != nil {
				t.Error(err)
				return
			}
			drain(resp)
		}()
	}
	wg.Wait()
	// Besides them, the ping that learns the registry's challenge: HTTP/2.
	if reg.http1.Load() != n || reg.http2.Load() != 1 || reg.conns.Load() != n+1 {
		t.Errorf("%d blob GETs at once after a ping: %d over HTTP/1.1, %d over HTTP/2, %d connections; want %d, 1, %d",
			n, reg.http1.Load(), reg.http2.Load(), reg.conns.Load(), n, n+1)
	}
}

// trustingClient is a client of reg that trusts its self-signed certificate.
func trustingClient(t *testing.T, reg *h2Registry) *Client {
	t.Helper()
	c, err := New(Options{URL: reg.URL})
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(reg.Certificate())
	split := c.http.Transport.(*splitTransport)
	split.small.TLSClientConfig = &tls.Config{RootCAs: pool}
	split.bulk.TLSClientConfig = &tls.Config{RootCAs: pool}
	return c
}
