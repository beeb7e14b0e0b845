package mirror

import (
	"mime"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/v1/types"
)

// defaultAccept is asked of upstream for a client that states no
// preference: every current manifest type, so multi-arch tags resolve to
// their index as they do for docker, containerd and skopeo.
var defaultAccept = []string{
	string(types.OCIImageIndex),
	string(types.DockerManifestList),
	string(types.OCIManifestSchema1),
	string(types.DockerManifestSchema2),
}

// maxAccepted bounds the types passed on upstream: real clients name
// about six, and a header of thousands is an attack on the Accept we send.
const maxAccepted = 32

// acceptedTypes lists the media types a client accepts, in its order,
// without parameters. A wildcard or nothing at all means the default list.
func acceptedTypes(r *http.Request) []string {
	var out []string
	for _, h := range r.Header.Values("Accept") {
		for _, part := range strings.Split(h, ",") {
			mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
			if err == nil && !strings.Contains(mt, "*") && !slices.Contains(out, mt) && len(out) < maxAccepted {
				out = append(out, mt)
			}
		}
	}
	if len(out) == 0 {
		return defaultAccept
	}
	return out
}

// acceptable says whether content of media type mt can answer a client that
// accepts these types.
func acceptable(mt string, accept []string) bool {
	return slices.Contains(accept, mt)
}
