package mirror

import (
	"path"
	"regexp"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// hostedPatterns are the --hosted path.Match patterns, of Docker Hub
// names. On Docker Hub a one-word name is an official image's, so "myapp"
// and "library/myapp" are one repository: `docker push mirror/myapp`
// sends the first, a dockerd pulling through registry-mirrors and a child
// hubmirror (which expands names as Docker Hub does) send the second. A
// pattern matches either spelling, and the repository is kept under the
// spelling the pattern gives (match says which), so that content pushed
// when only that spelling matched is still found.
type hostedPatterns []string

// match says the request names a hosted repository, and returns the name
// it is kept under. Only names meant for Docker Hub (no ?ns=, or
// containerd's ns=docker.io) can be hosted: a request for another
// registry is that registry's.
func (hp hostedPatterns) match(ns, name string) (repo string, ok bool) {
	if len(hp) == 0 || name == "" {
		return "", false
	}
	if ns = strings.ToLower(ns); ns != "" && ns != dockerHub && ns != "index.docker.io" && ns != "registry-1.docker.io" {
		return "", false
	}
	spellings := []string{name}
	if short, cut := strings.CutPrefix(name, "library/"); cut && !strings.Contains(short, "/") {
		spellings = append(spellings, short)
	} else if !strings.Contains(name, "/") {
		spellings = append(spellings, "library/"+name)
	}
	for _, n := range spellings {
		for _, p := range hp {
			if ok, _ := path.Match(p, n); ok {
				return n, true
			}
		}
	}
	return "", false
}

// uploadRoute reads .../blobs/uploads/[<id>]; uploads exist only for
// hosted repositories.
func (rs *registries) uploadRoute(parts []string, at int, ns string) (route, error) {
	name, hosted := rs.hosted.match(ns, strings.Join(parts[:at-1], "/"))
	if !hosted {
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
