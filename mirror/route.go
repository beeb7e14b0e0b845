package mirror

import (
	"net/http"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

type routeKind int

const (
	routeBase routeKind = iota
	routeManifest
	routeBlob
	routeTags
	routeUpload
)

var routeNames = [...]string{"base", "manifest", "blob", "tags", "upload"}

func (k routeKind) String() string { return routeNames[k] }

// route is a parsed API request path.
type route struct {
	kind   routeKind
	repo   string // normalized, e.g. library/alpine
	ref    reference
	digest v1.Hash // for blobs
}

// parseRoute reads /v2/<name>/{manifests/<ref>,blobs/<digest>,tags/list}.
// The name may itself contain slashes, so the path is read from its end.
// The escaped path is used, and any escape refused, so that "%2F" cannot
// smuggle a separator past the grammar.
func parseRoute(r *http.Request) (route, error) {
	p := r.URL.EscapedPath()
	if p == "/v2" || p == "/v2/" {
		return route{kind: routeBase}, nil
	}
	rest, ok := strings.CutPrefix(p, "/v2/")
	if !ok || strings.Contains(rest, "%") {
		return route{}, errNotFoundPath
	}
	parts := strings.Split(rest, "/")
	if i := uploadsAt(parts); i > 0 {
		return route{kind: routeUpload}, nil
	}
	n := len(parts)
	if n < 3 {
		return route{}, errNotFoundPath
	}
	return routeFor(strings.Join(parts[:n-2], "/"), parts[n-2], parts[n-1])
}

func routeFor(name, kind, last string) (route, error) {
	repo, err := normalizeName(name)
	if err != nil {
		return route{}, err
	}
	switch {
	case kind == "manifests":
		ref, err := parseReference(last)
		return route{kind: routeManifest, repo: repo, ref: ref}, err
	case kind == "blobs":
		d, err := parseDigest(last)
		return route{kind: routeBlob, repo: repo, digest: d}, err
	case kind == "tags" && last == "list":
		return route{kind: routeTags, repo: repo}, nil
	}
	return route{}, errNotFoundPath
}

// uploadsAt finds the push API's .../blobs/uploads/[<id>] suffix.
func uploadsAt(parts []string) int {
	n := len(parts)
	for i := n - 2; i >= n-3 && i > 0; i-- {
		if parts[i] == "uploads" && parts[i-1] == "blobs" {
			return i
		}
	}
	return 0
}
