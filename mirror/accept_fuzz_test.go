package mirror

import (
	"net/http"
	"slices"
	"strings"
	"testing"
)

// FuzzAcceptedTypes feeds two Accept header lines. Whatever they hold, the
// mirror must ask upstream for a non-empty list of plain media types (no
// wildcards, parameters or list syntax), each once, and never one the
// client did not name unless it falls back to the default list.
func FuzzAcceptedTypes(f *testing.F) {
	for _, seed := range [][2]string{
		{"application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, */*", ""},
		{"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json"},
		{"application/vnd.docker.distribution.manifest.v1+prettyjws", "application/json"},
		{"Application/VND.OCI.image.index.v1+json; q=0.5", "text/html;q=0.9, */*;q=0.8"},
		{`application/json; charset="utf-8"`, "application/*"},
		{"", ""},
		{",,;=", "a/b,a/b, A/B"},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		got := acceptedTypes(&http.Request{Header: http.Header{"Accept": {a, b}}})
		if len(got) == 0 {
			t.Fatal("empty Accept list for upstream")
		}
		if slices.Equal(got, defaultAccept) {
			return
		}
		named := strings.ToLower(a + "," + b)
		for i, mt := range got {
			if mt == "" || strings.ContainsAny(mt, "*,; \t\"") || mt != strings.ToLower(mt) {
				t.Fatalf("%q, %q: asked upstream for %q", a, b, mt)
			}
			if slices.Contains(got[:i], mt) {
				t.Fatalf("%q, %q: %q listed twice in %q", a, b, mt, got)
			}
			if !strings.Contains(named, mt) {
				t.Fatalf("%q, %q: %q was never asked for", a, b, mt)
			}
		}
	})
}
