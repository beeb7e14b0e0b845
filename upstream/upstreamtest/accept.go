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

// The answers of negotiate other than "serve it".
var (
	errOCIManifestNotAccepted = regError{http.StatusNotFound, "MANIFEST_UNKNOWN", "OCI manifest found, but accept header does not support OCI manifests", nil}
	errOCIIndexNotAccepted    = regError{http.StatusNotFound, "MANIFEST_UNKNOWN", "OCI index found, but accept header does not support OCI indexes", nil}
	errSchema2NotAccepted     = regError{http.StatusBadRequest, "MANIFEST_INVALID", "Schema 2 manifest not supported by client", nil}
)

// negotiate answers a request for stored m the way the distribution
// registry's GetManifest does, which is what Docker Hub does:
//
//   - an OCI manifest or OCI index whose type is not accepted is "unknown"
//     (404), by tag and by digest alike: nothing is converted;
//   - a Docker manifest list asked for by tag without the list type is
//     replaced by its linux/amd64 image, even when the OCI index type is
//     accepted, and that image must itself be acceptable as schema 2;
//   - anything else is served as stored, whatever Accept says (a schema 2
//     manifest to a client naming only schema 1, a schema 1 manifest).
//
// No Accept header at all accepts nothing, so a list tag then fails.
func (h *Hub) negotiate(repo string, byTag bool, m manifest, hdr http.Header) (manifest, *regError) {
	acc := accepted(hdr)
	switch {
	case m.mediaType == types.OCIManifestSchema1 && !acc[types.OCIManifestSchema1]:
		return manifest{}, &errOCIManifestNotAccepted
	case m.mediaType == types.OCIImageIndex && !acc[types.OCIImageIndex]:
		return manifest{}, &errOCIIndexNotAccepted
	case !byTag || m.mediaType != types.DockerManifestList || acc[types.DockerManifestList]:
		return m, nil
	}
	child, ok := h.childManifest(repo, m)
	switch {
	case !ok:
		return manifest{}, &errManifestUnknown
	case child.mediaType == types.DockerManifestSchema2 && !acc[types.DockerManifestSchema2]:
		return manifest{}, &errSchema2NotAccepted
	}
	return child, nil
}

func (h *Hub) childManifest(repo string, list manifest) (manifest, bool) {
	d, ok := amd64Child(list.raw)
	if !ok {
		return manifest{}, false
	}
	return h.store.manifest(repo, d.String())
}

// amd64Child finds the linux/amd64 image descriptor in a stored list.
func amd64Child(raw []byte) (v1.Hash, bool) {
	im, err := v1.ParseIndexManifest(strings.NewReader(string(raw)))
	if err != nil {
		return v1.Hash{}, false
	}
	for _, d := range im.Manifests {
		p := d.Platform
		if p != nil && p.OS == "linux" && p.Architecture == "amd64" {
			return d.Digest, true
		}
	}
	return v1.Hash{}, false
}
