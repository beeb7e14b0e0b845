package e2e

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// rawTimeout bounds one raw exchange; the mirror answers these at once.
const rawTimeout = 10 * time.Second

// rawRequest writes req to addr byte for byte and reads one response. Go's
// client would clean "..", escape what it dislikes and refuse some headers;
// a hostile client does none of that, so neither may these tests.
func rawRequest(t *testing.T, addr, req string) (*http.Response, []byte, error) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, rawTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(rawTimeout))
	if _, err := io.WriteString(conn, req); err != nil {
		return nil, nil, err
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

// rawGet is a GET of target exactly as written, on a connection that closes
// after the answer.
func rawGet(target, host string, extraHeaders ...string) string {
	req := "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nConnection: close\r\n"
	for _, h := range extraHeaders {
		req += h + "\r\n"
	}
	return req + "\r\n"
}
