package mirror

import (
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/metrics"
)

type routeKind int

const (
	routeUnknown routeKind = iota
	routeBase
	routeManifest
	routeBlob
	routeTags
	routeUpload
	routeCatalog
	routeReferrers
)

// The manifest and blob routes name the kinds of cache lookup in metrics.
var routeNames = [...]string{"unknown", "base", metrics.KindManifest, metrics.KindBlob, "tags", "upload", "catalog", "referrers"}

func (k routeKind) String() string { return routeNames[k] }

// route is a parsed API request path.
type route struct {
	kind   routeKind
	reg    *registry
	repo   string // normalized, e.g. library/alpine
	ref    reference
	digest v1.Hash // for blobs and referrers
	// hosted says repo is one of ours (--hosted): served from local
	// storage only, reg is nil, and repo is the name as the client wrote it.
	hosted bool
	upload string // the upload session, for routeUpload; "" to start one
}

// parseRoute reads /v2/[<registry>/]<name>/{manifests/<ref>,blobs/<digest>,tags/list,referrers/<digest>}.
// The name may itself contain slashes, so the path is read from its end.
// The escaped path is used, and any escape refused, so that "%2F" cannot
// smuggle a separator past the grammar. ns is containerd's ?ns= parameter.
func parseRoute(escapedPath, ns string, regs *registries) (route, error) {
	if escapedPath == "/v2" || escapedPath == "/v2/" {
		return route{kind: routeBase}, nil
	}
	rest, ok := strings.CutPrefix(escapedPath, "/v2/")
	if !ok || strings.Contains(rest, "%") {
		return route{}, errNotFoundPath
	}
	if rest == "_catalog" {
		return route{kind: routeCatalog}, nil
	}
	parts := strings.Split(rest, "/")
	if i := uploadsAt(parts); i > 0 {
		return regs.uploadRoute(parts, i, ns)
	}
	n := len(parts)
	if n < 3 {
		return route{}, errNotFoundPath
	}
	name := leadingParts(rest, parts)
	if repo, hosted := regs.hosted.match(ns, name); hosted {
		return hostedRoute(repo, parts[n-2], parts[n-1])
	}
	reg, name, err := regs.pick(ns, name)
	if err != nil {
		return route{}, err
	}
	return routeFor(reg, name, parts[n-2], parts[n-1])
}

// leadingParts is strings.Join(parts[:len(parts)-2], "/") for parts split
// from rest at "/": the name before kind and reference, cut from rest
// instead of joined (two allocations on every pull request).
func leadingParts(rest string, parts []string) string {
	n := len(parts)
	return rest[:len(rest)-len(parts[n-2])-len(parts[n-1])-2]
}

func routeFor(reg *registry, name, kind, last string) (route, error) {
	repo, err := reg.repository(name)
	if err != nil {
		return route{}, err
	}
	return pathRoute(route{reg: reg, repo: repo}, kind, last, parseDigest)
}

// pathRoute reads the part after the name: what is asked for, and its
// reference, with digests read by digest (mirrored content is sha256
// only, hosted content may be sha512 too).
func pathRoute(rt route, kind, last string, digest func(string) (v1.Hash, error)) (route, error) {
	var err error
	switch {
	case kind == "manifests":
		rt.kind = routeManifest
		if strings.Contains(last, ":") {
			rt.ref.digest, err = digest(last)
		} else {
			rt.ref, err = parseReference(last)
		}
	case kind == "blobs":
		rt.kind = routeBlob
		rt.digest, err = digest(last)
	case kind == "referrers":
		rt.kind = routeReferrers
		rt.digest, err = digest(last)
	case kind == "tags" && last == "list":
		rt.kind = routeTags
	default:
		return route{}, errNotFoundPath
	}
	return rt, err
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
