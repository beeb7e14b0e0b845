package upstreamtest

import (
	"mime"
	"net/http"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// accepted collects the media types named in every Accept header, ignoring
// parameters such as q=.
func accepted(hdr http.Header) map[types.MediaType]bool {
	out := map[types.MediaType]bool{}
	for _, v := range hdr.Values("Accept") {
		for _, part := range strings.Split(v, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil {
				out[types.MediaType(mt)] = true
			}
		}
	}
	return out
}

// wantsChild reports whether Hub would answer a request for a list with its
// linux/amd64 image instead: the client names single-image types only, the
// way old Docker clients do.
func wantsChild(stored types.MediaType, hdr http.Header) bool {
	if !stored.IsIndex() {
		return false
	}
	acc := accepted(hdr)
	if acc[types.DockerManifestList] || acc[types.OCIImageIndex] {
		return false
	}
	return acc[types.DockerManifestSchema2] || acc[types.OCIManifestSchema1]
}

// amd64Child finds the linux/amd64 image descriptor in a stored list.
func amd64Child(raw []byte) (v1.Hash, bool) {
	im, err := v1.ParseIndexManifest(strings.NewReader(string(raw)))
	if err != nil {
		return v1.Hash{}, false
	}
	for _, d := range im.Manifests {
		p := d.Platform
		if p != nil && p.OS == "linux" && p.Architecture == "amd64" && d.MediaType.IsImage() {
			return d.Digest, true
		}
	}
	return v1.Hash{}, false
}
