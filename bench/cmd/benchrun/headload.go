package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// headLoad is wrk for HEAD, which wrk 4.1 cannot send: its parser waits
// for a body a HEAD answer never has and counts every answer as a read
// error (wg/wrk#198). Like wrk it keeps conns keep-alive connections busy,
// one request at a time each, for d, and reports requests/s and latency
// percentiles. It speaks raw HTTP/1.1 over TCP and reads only the header
// block, so its own cost per request stays close to wrk's; nginx and the
// systems all get the same client, so ratios between them are fair.
func headLoad(ctx context.Context, rawURL, accept string, conns int, d time.Duration) (wrkResult, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return wrkResult{}, err
	}
	req := fmt.Sprintf("HEAD %s HTTP/1.1\r\nHost: %s\r\nAccept: %s\r\n\r\n", u.RequestURI(), u.Host, accept)
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu      sync.Mutex
		lat     []time.Duration
		non2xx  int64
		firstEr error
		wg      sync.WaitGroup
	)
	start := time.Now()
	for range conns {
		wg.Go(func() {
			l, bad, err := headConn(ctx, u.Host, req)
			mu.Lock()
			defer mu.Unlock()
			lat, non2xx = append(lat, l...), non2xx+bad
			if err != nil && firstEr == nil {
				firstEr = err
			}
		})
	}
	wg.Wait()
	if firstEr != nil {
		return wrkResult{}, firstEr
	}
	return latencyResult(lat, non2xx, time.Since(start))
}

// headConn keeps one connection sending HEAD requests until ctx ends,
// returning each one's latency and how many were answered other than 2xx.
// A server that closes the connection (nginx after keepalive_requests, or
// on "Connection: close") gets a new one, as wrk does.
func headConn(ctx context.Context, host, req string) ([]time.Duration, int64, error) {
	var lat []time.Duration
	var bad int64
	for ctx.Err() == nil {
		n, b, err := headRequests(ctx, host, req, &lat)
		bad += b
		if err != nil && n == 0 { // not even one answer on a fresh connection
			return lat, bad, err
		}
	}
	return lat, bad, nil
}

// headRequests sends requests on one new connection until ctx ends or the
// connection does, appending latencies to lat; it returns how many were
// answered.
func headRequests(ctx context.Context, host, req string, lat *[]time.Duration) (int, int64, error) {
	var dialer net.Dialer
	c, err := dialer.DialContext(ctx, "tcp", host)
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	deadline, _ := ctx.Deadline()
	c.SetDeadline(deadline.Add(5 * time.Second)) // a request in flight at the end may finish
	r := bufio.NewReader(c)
	var n int
	var bad int64
	for ctx.Err() == nil {
		t := time.Now()
		if _, err := c.Write([]byte(req)); err != nil {
			return n, bad, err
		}
		status, closing, err := readHeaderBlock(r)
		if err != nil {
			return n, bad, err
		}
		*lat, n = append(*lat, time.Since(t)), n+1
		if status < 200 || status > 299 {
			bad++
		}
		if closing {
			break
		}
	}
	return n, bad, nil
}

// readHeaderBlock reads one answer's status line and headers (a HEAD
// answer ends there whatever its Content-Length says), and whether the
// server said it closes the connection.
func readHeaderBlock(r *bufio.Reader) (status int, closing bool, err error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return 0, false, err
	}
	if _, err := fmt.Sscanf(line, "HTTP/1.1 %d", &status); err != nil {
		return 0, false, fmt.Errorf("status line %q: %w", strings.TrimSpace(line), err)
	}
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return 0, false, err
		}
		if line == "\r\n" || line == "\n" {
			return status, closing, nil
		}
		closing = closing || strings.EqualFold(strings.TrimSpace(line), "Connection: close")
	}
}

func latencyResult(lat []time.Duration, non2xx int64, took time.Duration) (wrkResult, error) {
	if len(lat) == 0 {
		return wrkResult{}, errors.New("no request answered")
	}
	slices.Sort(lat)
	at := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	return wrkResult{reqPerSec: float64(len(lat)) / took.Seconds(), p50: at(0.50), p99: at(0.99), non2xx: non2xx}, nil
}
