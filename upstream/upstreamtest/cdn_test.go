package upstreamtest

import (
	"bytes"
	"crypto/rand"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// blobHub stores one random blob in library/big and returns a token for it.
func blobHub(t *testing.T, opts Options, size int) (*Hub, v1.Hash, []byte, string) {
	t.Helper()
	h := New(t, opts)
	content := make([]byte, size)
	rand.Read(content)
	d := h.AddBlob("library/big", content)
	return h, d, content, token(t, h, "library/big", "", "")
}

// redirect asks the registry for d and returns the CDN location.
func redirect(t *testing.T, h *Hub, d v1.Hash, tok string) string {
	t.Helper()
	r := do(t, http.MethodGet, h.URL+"/v2/library/big/blobs/"+d.String(), bearer(tok))
	if r.status != http.StatusTemporaryRedirect {
		t.Fatalf("blob GET: %d %s", r.status, r.body)
	}
	return r.header.Get("Location")
}

func TestBlobRedirectsToCDN(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 4096)
	loc := redirect(t, h, d, tok)
	lu, _ := url.Parse(loc)
	ru, _ := url.Parse(h.URL)
	if lu.Host == ru.Host || lu.Hostname() != "localhost" || !strings.HasPrefix(loc, h.CDNURL+"/registry-v2/docker/registry/v2/blobs/sha256/"+d.Hex[:2]+"/"+d.Hex+"/data?") {
		t.Fatalf("location %s", loc)
	}
	r := do(t, http.MethodGet, loc, bearer(tok)) // a leaky client
	if r.status != 200 || !bytes.Equal(r.body, content) || r.header.Get("Accept-Ranges") != "bytes" {
		t.Fatalf("cdn: %d, %d bytes", r.status, len(r.body))
	}
	c := h.Counts()
	if c.BlobGets != 1 || c.CDNGets != 1 || c.CDNAuthorized != 1 || c.CDNBytes != 4096 || h.BlobGetsFor(d) != 1 {
		t.Errorf("counts %+v, per blob %d", c, h.BlobGetsFor(d))
	}
}

func TestBlobHeadAndUnknown(t *testing.T) {
	h, d, _, tok := blobHub(t, Options{}, 1000)
	r := do(t, http.MethodHead, h.URL+"/v2/library/big/blobs/"+d.String(), bearer(tok))
	if r.status != 200 || r.header.Get("Content-Length") != "1000" || r.header.Get("Docker-Content-Digest") != d.String() {
		t.Errorf("HEAD: %d %v", r.status, r.header)
	}
	other := blobtest.Digest([]byte("absent"))
	r = do(t, http.MethodGet, h.URL+"/v2/library/big/blobs/"+other.String(), bearer(tok))
	if r.status != 404 || errorCode(t, r.body) != "BLOB_UNKNOWN" {
		t.Errorf("unknown blob: %d %s", r.status, r.body)
	}
}

func TestCDNRange(t *testing.T) {
	h, d, content, tok := blobHub(t, Options{}, 5000)
	r := do(t, http.MethodGet, redirect(t, h, d, tok), http.Header{"Range": {"bytes=1234-"}})
	if r.status != http.StatusPartialContent || !bytes.Equal(r.body, content[1234:]) {
		t.Fatalf("range: %d, %d bytes", r.status, len(r.body))
	}
}

func TestCDNRejectsBadSignature(t *testing.T) {
	h, d, _, tok := blobHub(t, Options{}, 100)
	loc := redirect(t, h, d, tok)
	if r := do(t, http.MethodGet, strings.Replace(loc, "signature=", "signature=0", 1), nil); r.status != 403 {
		t.Errorf("tampered: %d", r.status)
	}
	if r := do(t, http.MethodGet, h.signedURL(d, time.Now().Add(-time.Minute)), nil); r.status != 403 {
		t.Errorf("expired: %d", r.status)
	}
}

func TestCDNHostLiteral(t *testing.T) {
	if ln, err := net.Listen("tcp", "127.0.0.2:0"); err != nil {
		t.Skipf("127.0.0.2 not usable here: %v", err)
	} else {
		ln.Close()
	}
	h, d, content, tok := blobHub(t, Options{CDNHost: "127.0.0.2"}, 100)
	loc := redirect(t, h, d, tok)
	if !strings.HasPrefix(loc, "http://127.0.0.2:") {
		t.Fatalf("location %s", loc)
	}
	if r := do(t, http.MethodGet, loc, nil); r.status != 200 || !bytes.Equal(r.body, content) {
		t.Fatalf("cdn at literal: %d", r.status)
	}
}
