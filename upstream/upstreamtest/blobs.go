package upstreamtest

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// cdnURLLifetime is how long a redirect stays usable, as Hub's signed URLs.
const cdnURLLifetime = 20 * time.Minute

// serveBlob answers HEAD itself and redirects GET to the CDN, as Hub does:
// the registry never sends blob bytes.
func (h *Hub) serveBlob(w http.ResponseWriter, r *http.Request, rt route) {
	d, err := v1.NewHash(rt.ref)
	if err != nil {
		h.writeError(w, errDigestInvalid)
		return
	}
	size, ok := h.store.blobSize(rt.repo, d)
	if !ok {
		h.writeError(w, errBlobUnknown)
		return
	}
	if r.Method == http.MethodHead {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", itoa(size))
		w.Header().Set("Docker-Content-Digest", d.String())
		w.WriteHeader(http.StatusOK)
		return
	}
	http.Redirect(w, r, h.signedURL(d, time.Now().Add(cdnURLLifetime)), http.StatusTemporaryRedirect)
}

// blobPath is where the CDN serves a blob, the layout Hub's redirects use:
//
//	/registry-v2/docker/registry/v2/blobs/sha256/<hex[:2]>/<hex>/data
func blobPath(hexDigest string) string {
	return cdnPrefix + hexDigest[:2] + "/" + hexDigest + "/data"
}

const cdnPrefix = "/registry-v2/docker/registry/v2/blobs/sha256/"

// signedURL builds the redirect target; the CDN rejects it once expired or
// altered, so a mirror cannot cache redirect URLs forever.
func (h *Hub) signedURL(d v1.Hash, expires time.Time) string {
	p := blobPath(d.Hex)
	exp := itoa(expires.Unix())
	q := url.Values{"expires": {exp}, "signature": {h.sign(p, exp)}}
	return h.CDNURL + p + "?" + q.Encode()
}

func (h *Hub) sign(path, expires string) string {
	m := hmac.New(sha256.New, h.secret)
	m.Write([]byte(path + "\n" + expires))
	return hex.EncodeToString(m.Sum(nil))
}

// validSignature checks the query the CDN received.
func (h *Hub) validSignature(u *url.URL) bool {
	q := u.Query()
	exp, err := strconv.ParseInt(q.Get("expires"), 10, 64)
	if err != nil || time.Now().Unix() > exp {
		return false
	}
	want := h.sign(u.Path, q.Get("expires"))
	return hmac.Equal([]byte(want), []byte(q.Get("signature")))
}
