package upstream

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// blobFrom requests repo's blob d from byte offset on.
func (c *Client) blobFrom(ctx context.Context, repo string, d v1.Hash, offset int64) (*http.Response, error) {
	hdr := http.Header{}
	if offset > 0 {
		hdr.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	resp, err := c.do(ctx, http.MethodGet, repo, "/v2/"+repo+"/blobs/"+d.String(), hdr)
	if err != nil {
		return nil, err
	}
	return resp, checkResponse(resp, http.StatusOK, http.StatusPartialContent)
}

// blobSize reads the whole blob's size from a 200's Content-Length or a
// 206's Content-Range.
func blobSize(resp *http.Response) int64 {
	if resp.StatusCode == http.StatusPartialContent {
		return rangeTotal(resp.Header.Get("Content-Range"))
	}
	return resp.ContentLength
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
