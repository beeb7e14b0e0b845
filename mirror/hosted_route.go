package mirror

import (
	"path"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostedPatterns are the --hosted path.Match patterns. They match the
// repository name exactly as it appears in the request path, before the
// library/ expansion of Docker Hub names: "team/*" matches team/app, and
// to override an official image on purpose the pattern is
// "library/alpine" (docker pull alpine asks a mirror for library/alpine).
type hostedPatterns []string

// match says the request names a hosted repository. Only names meant for
// Docker Hub (no ?ns=, or containerd's ns=docker.io) can be hosted: a
// request for another registry is that registry's.
func (hp hostedPatterns) match(ns, name string) bool {
	if len(hp) == 0 {
		return false
	}
	if ns = strings.ToLower(ns); ns != "" && ns != dockerHub && ns != "index.docker.io" && ns != "registry-1.docker.io" {
		return false
	}
	for _, p := range hp {
		if ok, _ := path.Match(p, name); ok {
			return true
		}
	}
	return false
}

// uploadRoute reads .../blobs/uploads/[<id>]; uploads exist only for
// hosted repositories.
func (rs *registries) uploadRoute(parts []string, at int, ns string) (route, error) {
	name := strings.Join(parts[:at-1], "/")
	if !rs.hosted.match(ns, name) {
		return route{kind: routeUpload}, nil
	}
	if err := validName(name); err != nil {
		return route{}, err
	}
	rt := route{kind: routeUpload, hosted: true, repo: name}
	if at+1 < len(parts) {
		rt.upload = parts[at+1]
	}
	return rt, nil
}

func hostedRoute(name, kind, last string) (route, error) {
	if err := validName(name); err != nil {
		return route{}, err
	}
	return pathRoute(route{hosted: true, repo: name}, kind, last, parseHostedDigest)
}

var sha512Pattern = regexp.MustCompile(`^sha512:[a-f0-9]{128}$`)

// parseHostedDigest accepts sha256 and sha512: pushed content is verified
// by the store with either (the conformance suite pushes sha512 blobs).
func parseHostedDigest(s string) (v1.Hash, error) {
	if sha512Pattern.MatchString(s) {
		return v1.Hash{Algorithm: "sha512", Hex: s[len("sha512:"):]}, nil
	}
	return parseDigest(s)
}
