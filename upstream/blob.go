package upstream

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// blobRange requests repo's blob d from byte offset on, up to end
// (exclusive) unless end is -1. A request from byte 0 to the end carries
// no Range unless ask: that is a plain GET of the whole blob.
func (c *Client) blobRange(ctx context.Context, repo string, d v1.Hash, offset, end int64, ask bool) (*http.Response, error) {
	resp, err := c.do(ctx, http.MethodGet, repo, "/v2/"+repo+"/blobs/"+d.String(), rangeHeader(offset, end, ask))
	if err != nil {
		return nil, err
	}
	err = checkResponse(resp, http.StatusOK, http.StatusPartialContent)
	var se *StatusError
	if errors.As(err, &se) && resp.Request.URL.Host != c.base.Host {
		se.Storage = resp.Request.URL.Host
	}
	return resp, err
}

// blobAt requests bytes of a blob straight from where an earlier redirect
// of the registry sent it: the signed CDN URL, which needs no token and
// saves the registry's round trip. It carries no credentials.
func (c *Client) blobAt(ctx context.Context, location *url.URL, offset, end int64) (*http.Response, error) {
	resp, err := c.send(ctx, http.MethodGet, location, rangeHeader(offset, end, true), "")
	if err != nil {
		return nil, err
	}
	return resp, checkResponse(resp, http.StatusOK, http.StatusPartialContent)
}

// redirectedTo is where the registry sent a blob request, if elsewhere: a
// location other pieces of the blob may be fetched from; nil if none.
func (c *Client) redirectedTo(resp *http.Response) *url.URL {
	if u := resp.Request.URL; u.Host != c.base.Host {
		return u
	}
	return nil
}

func rangeHeader(offset, end int64, ask bool) http.Header {
	hdr := http.Header{}
	switch {
	case end >= 0:
		hdr.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-"+strconv.FormatInt(end-1, 10))
	case offset > 0 || ask:
		hdr.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	return hdr
}

// blobSize reads the whole blob's size from a 200's Content-Length or a
// 206's Content-Range.
func blobSize(resp *http.Response) int64 {
	if resp.StatusCode == http.StatusPartialContent {
		return rangeTotal(resp.Header.Get("Content-Range"))
	}
	return resp.ContentLength
}

// honoursRange says upstream serves byte ranges: it answered one with 206,
// or says so (Accept-Ranges: bytes), as Docker Hub's CDN does.
func honoursRange(resp *http.Response) bool {
	return resp.StatusCode == http.StatusPartialContent || resp.Header.Get("Accept-Ranges") == "bytes"
}

// rangeStart reads the first byte of "bytes 100-199/1000"; -1 if unreadable.
func rangeStart(v string) int64 {
	spec, ok := strings.CutPrefix(v, "bytes ")
	first, _, found := strings.Cut(spec, "-")
	n, err := strconv.ParseInt(first, 10, 64)
	if !ok || !found || err != nil {
		return -1
	}
	return n
}

// rangeTotal reads the total from "bytes 100-199/1000"; "*" means unknown.
func rangeTotal(v string) int64 {
	_, total, ok := strings.Cut(v, "/")
	if !ok {
		return -1
	}
	n, err := strconv.ParseInt(total, 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// BlobSize asks upstream for a blob's size without fetching it.
func (c *Client) BlobSize(ctx context.Context, repo string, d v1.Hash) (int64, error) {
	resp, err := c.do(ctx, http.MethodHead, repo, "/v2/"+repo+"/blobs/"+d.String(), nil)
	if err != nil {
		return 0, err
	}
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.ContentLength, nil
}
