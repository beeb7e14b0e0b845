package upstream

import (
	"mime"
	"net/http"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// isSchema1 says the answer is a Docker schema 1 manifest. Its digest
// covers the payload without its JWS signatures, not the bytes sent, and
// the cache stores only bytes that hash to their name; docker (since 26)
// and containerd (since 2.0) refuse to pull schema 1 unless told to (moby
// PR 47459, containerd PR 6884). So it is
// reported as unsupported rather than as content that fails its digest.
func isSchema1(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == string(types.DockerManifestSchema1) || mt == string(types.DockerManifestSchema1Signed)
}
