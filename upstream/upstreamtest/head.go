package upstreamtest

import "net/http"

// HeadMode is how the registry answers HEAD of a manifest.
type HeadMode int32

// Some registries and proxies do not answer a manifest HEAD the way
// Docker Hub does; a mirror that revalidates with HEAD must cope.
const (
	HeadNormal     HeadMode = iota // as Hub: the headers of the GET, no body
	HeadNotAllowed                 // 405 UNSUPPORTED
	HeadNoDigest                   // 200 without Docker-Content-Digest
)

// SetHeadMode changes how manifest HEADs are answered from now on.
func (h *Hub) SetHeadMode(m HeadMode) { h.headMode.Store(int32(m)) }

// headQuirk answers a manifest HEAD in the armed HeadMode, and reports
// whether it did; HeadNoDigest lets the normal answer through and strips
// the digest on the way (see serveManifest).
func (h *Hub) headQuirk(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodHead || HeadMode(h.headMode.Load()) != HeadNotAllowed {
		return false
	}
	h.writeError(w, errUnsupported)
	return true
}

// hideDigest says whether this answer must go without Docker-Content-Digest.
func (h *Hub) hideDigest(r *http.Request) bool {
	return r.Method == http.MethodHead && HeadMode(h.headMode.Load()) == HeadNoDigest
}
