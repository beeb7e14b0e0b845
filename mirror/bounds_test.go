package mirror

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream"
)

// Clients that accept the same manifest types share answers whatever the
// order, repeats and other types they list; a type outside the manifest
// types cannot make a new class.
func TestAcceptClass(t *testing.T) {
	a := acceptClass([]string{string(types.DockerManifestList), string(types.OCIImageIndex), "application/json", string(types.DockerManifestList)})
	b := acceptClass([]string{string(types.OCIImageIndex), string(types.DockerManifestList)})
	if a != b || a == "" {
		t.Errorf("classes %q and %q, want one class", a, b)
	}
	if c := acceptClass([]string{"application/x-" + fmt.Sprint(time.Now().UnixNano())}); c != "" {
		t.Errorf("an invented type made class %q", c)
	}
}

// Once full, the negative cache makes room by dropping what expired, and
// otherwise stores nothing rather than grow.
func TestNegativesStayBounded(t *testing.T) {
	now := time.Now()
	n := newNegatives(time.Minute, func() time.Time { return now }, metrics.Discard())
	reg := &registry{Registry: Registry{Host: "docker.io"}}
	miss := &upstream.StatusError{StatusCode: http.StatusNotFound, Codes: []string{"MANIFEST_UNKNOWN"}}
	rt := func(i int) route { return route{reg: reg, repo: "library/x", ref: reference{tag: fmt.Sprint("t", i)}} }
	for i := range maxNegatives {
		n.remember(rt(i), "c", miss)
	}
	n.remember(rt(maxNegatives), "c", miss)
	if n.missing(rt(maxNegatives), "c") != nil || n.missing(rt(0), "c") == nil {
		t.Fatal("a full cache must keep what it has and store nothing more")
	}
	now = now.Add(2 * time.Minute)
	n.remember(rt(maxNegatives), "c", miss)
	if n.missing(rt(maxNegatives), "c") == nil || n.n != 1 {
		t.Errorf("after expiry: entry stored %v, %d entries counted, want true and 1", n.missing(rt(maxNegatives), "c") != nil, n.n)
	}
}

// A client's Accept of thousands of types is not passed on whole.
func TestAcceptedTypesAreBounded(t *testing.T) {
	r := httptest.NewRequest("GET", "/v2/x/manifests/y", nil)
	for i := range 1000 {
		r.Header.Add("Accept", fmt.Sprintf("application/x-%d", i))
	}
	if got := len(acceptedTypes(r)); got != maxAccepted {
		t.Errorf("%d types kept, want %d", got, maxAccepted)
	}
}
