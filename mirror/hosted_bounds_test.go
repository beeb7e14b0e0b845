package mirror_test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// Sessions are bounded in number (429 past the bound) and end after
// inactivity, which frees their place.
func TestHostedUploadSessionBounds(t *testing.T) {
	clk := newClock()
	_, m := startHosted(t, setup{maxUploads: 2, uploadIdle: time.Minute, clock: clk})
	p := pusher{t, m.url}
	first := p.start("team/app")
	p.start("team/app")
	resp, body := send(t, "POST", m.url+"/v2/team/app/blobs/uploads/", nil)
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("third session: %d %s, want 429", resp.StatusCode, body)
	}
	assertErrorCode(t, resp, body, "TOOMANYREQUESTS")
	clk.advance(2 * time.Minute)
	p.start("team/app") // the idle two are swept to make room
	if resp, body := get(t, "GET", first); resp.StatusCode != 404 {
		t.Fatalf("expired session: %d %s, want 404", resp.StatusCode, body)
	}
}

// A push past --hosted-max-size is refused with DENIED and stores nothing.
func TestHostedQuota(t *testing.T) {
	_, m := startHosted(t, setup{hostedMax: 1000})
	p := pusher{t, m.url}
	p.blob("team/app", bytes.Repeat([]byte("a"), 600))
	big := bytes.Repeat([]byte("b"), 600)
	resp, body := send(t, "PUT", withDigest(p.start("team/app"), blobtest.Digest(big)), big)
	if resp.StatusCode != 403 {
		t.Fatalf("push past the quota: %d %s, want 403", resp.StatusCode, body)
	}
	assertErrorCode(t, resp, body, "DENIED")
	if got := m.store.HostedSize(); got != 600 {
		t.Errorf("hosted bytes %d after the refused push, want 600", got)
	}
}

// A client that disconnects in the middle of a PATCH loses that session
// only: the upload is gone, its temp file with it, and another client's
// session carries on.
func TestHostedDisconnectMidPatch(t *testing.T) {
	closed := connWatch{done: map[string]chan struct{}{}}
	_, m := startHosted(t, setup{connState: closed.note})
	p := pusher{t, m.url}
	other := p.start("team/app")
	doomed := p.start("team/app")

	u, _ := url.Parse(doomed)
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	gone := closed.watch(conn.LocalAddr().String())
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n\r\n", u.RequestURI(), u.Host)
	conn.Write(bytes.Repeat([]byte("x"), 5000)) // of the 100000 promised
	conn.Close()
	<-gone // net/http closes its side only after the handler returned

	if resp, body := get(t, "GET", doomed); resp.StatusCode != 404 {
		t.Fatalf("session after its client left mid-PATCH: %d %s, want 404", resp.StatusCode, body)
	}
	content := []byte("the other session's blob")
	resp, body := send(t, "PUT", withDigest(other, blobtest.Digest(content)), content)
	if resp.StatusCode != 201 {
		t.Fatalf("the other session: %d %s, want 201", resp.StatusCode, body)
	}
	if n := uploadTemps(t, m.store.Dir()); n != 0 {
		t.Errorf("%d upload temp files left, want 0", n)
	}
}

// connWatch tells a test when the server closed a given client's conn.
type connWatch struct {
	mu   sync.Mutex
	done map[string]chan struct{}
}

func (c *connWatch) watch(clientAddr string) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan struct{})
	c.done[clientAddr] = ch
	return ch
}

func (c *connWatch) note(conn net.Conn, state http.ConnState) {
	if state != http.StateClosed {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ch, ok := c.done[conn.RemoteAddr().String()]; ok {
		close(ch)
		delete(c.done, conn.RemoteAddr().String())
	}
}

// A session its client abandoned ends on its own after the idle timeout,
// temp file and all, even when no later push comes to sweep it: after the
// day's last push it would otherwise hold its file and descriptor for good.
func TestHostedAbandonedUploadEndsWithoutAnotherPush(t *testing.T) {
	_, m := startHosted(t, setup{uploadIdle: 300 * time.Millisecond})
	p := pusher{t, m.url}
	loc := p.start("team/app")
	req, _ := http.NewRequest("PATCH", loc, bytes.NewReader(bytes.Repeat([]byte("x"), 5000)))
	req.Header.Set("Content-Range", "0-4999")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || uploadTemps(t, m.store.Dir()) != 1 {
		t.Fatalf("PATCH %d with %d temp files, want 202 and 1", resp.StatusCode, uploadTemps(t, m.store.Dir()))
	}
	deadline := time.Now().Add(10 * time.Second)
	for uploadTemps(t, m.store.Dir()) != 0 {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned session's temp file is still there 10s after its 300ms idle timeout")
		}
		time.Sleep(20 * time.Millisecond) // polling with a bounded deadline
	}
	if resp, body := get(t, "GET", p.resolve(loc)); resp.StatusCode != 404 {
		t.Fatalf("expired session: %d %s, want 404", resp.StatusCode, body)
	}
}
