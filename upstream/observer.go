package upstream

import (
	"net/http"
	"strings"
)

// Observer is told of the client's traffic, for metrics. Kinds are a small
// fixed set: ping, token, manifest_get, manifest_head, blob_get, blob_head,
// tags, referrers. Code 0 means no answer arrived.
type Observer interface {
	Request(kind string, code int)
	Token()
	Bytes(n int)
	RateLimit(remaining int64)
}

type noObserver struct{}

func (noObserver) Request(string, int) {}
func (noObserver) Token()              {}
func (noObserver) Bytes(int)           {}
func (noObserver) RateLimit(int64)     {}

// requestKind names a registry request by what it asks for.
func requestKind(req *http.Request) string {
	p := req.URL.Path
	method := strings.ToLower(req.Method)
	switch {
	case strings.Contains(p, "/manifests/"):
		return "manifest_" + method
	case strings.Contains(p, "/blobs/"):
		return "blob_" + method
	case strings.HasSuffix(p, "/tags/list"):
		return "tags"
	case strings.Contains(p, "/referrers/"):
		return "referrers"
	case strings.HasSuffix(p, "/v2/"):
		return "ping"
	}
	return "other"
}
