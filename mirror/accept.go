package mirror

import (
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

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
// The answer is shared: callers must not modify it.
func acceptedTypes(r *http.Request) []string {
	values := r.Header["Accept"]
	if len(values) != 1 {
		return parseAccept(values)
	}
	return acceptMemo.get(values[0])
}

func parseAccept(values []string) []string {
	var out []string
	for _, h := range values {
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

// acceptMemo remembers what a few Accept headers mean. Every docker,
// containerd or skopeo sends the same header on every request, and parsing
// it (mime.ParseMediaType per part) was 15% of a warm manifest hit's CPU.
// Bounded in entries and key length, so clients sending endless distinct
// headers only get them parsed each time.
var acceptMemo = &acceptCache{}

const (
	acceptMemoEntries = 256
	acceptMemoKeyMax  = 1024
)

type acceptCache struct {
	m sync.Map // header → []string
	n atomic.Int32
}

func (c *acceptCache) get(header string) []string {
	if v, ok := c.m.Load(header); ok {
		return v.([]string)
	}
	types := parseAccept([]string{header})
	if len(header) <= acceptMemoKeyMax && c.n.Add(1) <= acceptMemoEntries {
		c.m.Store(header, types)
	}
	return types
}
