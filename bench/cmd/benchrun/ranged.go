package main

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"
)

// fetchRanged downloads url as n byte ranges at once, as a download
// accelerator (aria2c -x n) does: on a far link, where each connection is
// capped, this is the best a client standing alone can do, and the strong
// reference for a mirror that fetches in pieces. Each range follows the
// registry's redirect itself (Range survives it). It returns the wall time
// from the first request to the last byte.
func fetchRanged(ctx context.Context, url string, size int64, hdr http.Header, n int) (time.Duration, error) {
	start := time.Now()
	piece := (size + int64(n) - 1) / int64(n)
	g, ctx := errgroup.WithContext(ctx)
	for i := range int64(n) {
		from, to := i*piece, min((i+1)*piece, size)-1
		if from > to {
			break
		}
		g.Go(func() error { return fetchRange(ctx, url, from, to, hdr) })
	}
	err := g.Wait()
	return time.Since(start), err
}

func fetchRange(ctx context.Context, url string, from, to int64, hdr http.Header) error {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header = hdr.Clone()
	req.Header.Set("Range", fmt.Sprintf("bytes=%d-%d", from, to))
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent {
		return fmt.Errorf("GET %s bytes %d-%d: %s", url, from, to, resp.Status)
	}
	var f fetched
	if err := f.read(resp.Body, nil); err != nil {
		return err
	}
	if want := to - from + 1; f.bytes != want {
		return fmt.Errorf("GET %s bytes %d-%d: got %d bytes", url, from, to, f.bytes)
	}
	return nil
}
