package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// fetchTimeout bounds one blob download; the largest is 1 GiB at the
// throttled 200 MB/s, about 5 s.
const fetchTimeout = 2 * time.Minute

// fetched is what one client saw of one GET.
type fetched struct {
	start time.Time
	ttfb  time.Duration // request sent → first body byte
	wall  time.Duration // request sent → last body byte
	bytes int64
}

// client is a plain HTTP client: no proxy, redirects followed (Go drops
// the Authorization header when a redirect changes host, as Docker does).
var client = &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 32, DisableCompression: true}}

// fetch GETs url and reads the body to the end, calling progress with the
// running byte count after every read.
func fetch(ctx context.Context, url string, hdr http.Header, progress func(int64)) (fetched, error) {
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fetched{}, err
	}
	req.Header = hdr.Clone()
	f := fetched{start: time.Now()}
	resp, err := client.Do(req)
	if err != nil {
		return f, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return f, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	err = f.read(resp.Body, progress)
	f.wall = time.Since(f.start)
	return f, err
}

func (f *fetched) read(body io.Reader, progress func(int64)) error {
	buf := make([]byte, 256<<10)
	for {
		n, err := body.Read(buf)
		if n > 0 && f.bytes == 0 {
			f.ttfb = time.Since(f.start)
		}
		f.bytes += int64(n)
		if progress != nil && n > 0 {
			progress(f.bytes)
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// fetchBlob GETs a blob from a registry and checks its length. hdr
// carries a token when the registry is the fake hub itself.
func fetchBlob(ctx context.Context, base, repo, digest string, size int64, hdr http.Header, progress func(int64)) (fetched, error) {
	return fetchSized(ctx, blobURL(base, repo, digest), size, hdr, progress)
}

// fetchSized GETs url and checks the body had size bytes.
func fetchSized(ctx context.Context, url string, size int64, hdr http.Header, progress func(int64)) (fetched, error) {
	f, err := fetch(ctx, url, hdr, progress)
	if err == nil && f.bytes != size {
		err = fmt.Errorf("%s: got %d bytes, want %d", url, f.bytes, size)
	}
	return f, err
}

func blobURL(base, repo, digest string) string {
	return base + "/v2/" + repo + "/blobs/" + digest
}

// hubToken gets an anonymous pull token for repo from the fake hub's
// realm, as a client pulling straight from Docker Hub does first.
func hubToken(ctx context.Context, realm, repo string) (string, error) {
	q := url.Values{"service": {"registry.docker.io"}, "scope": {"repository:" + repo + ":pull"}}
	_, body, err := getJSON(ctx, realm+"?"+q.Encode())
	if err != nil {
		return "", err
	}
	var tok struct{ Token string }
	if err := json.Unmarshal(body, &tok); err != nil || tok.Token == "" {
		return "", fmt.Errorf("token from %s: %v", realm, err)
	}
	return tok.Token, nil
}

// getJSON GETs a small document.
func getJSON(ctx context.Context, url string, hdr ...string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, nil, err
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err == nil && resp.StatusCode != http.StatusOK {
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return resp, body, err
}
