package mirror

import (
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const maxNameLength = 255

// validName checks a repository name against the distribution grammar.
func validName(name string) error {
	if len(name) > maxNameLength || !validRepoName(name) {
		return apiErr(errNameInvalid, "invalid repository name %q", name)
	}
	return nil
}

// reference is a manifest reference: a tag or a digest.
type reference struct {
	tag    string
	digest v1.Hash
}

func (r reference) isDigest() bool { return r.tag == "" }

func (r reference) String() string {
	if r.isDigest() {
		return r.digest.String()
	}
	return r.tag
}

func parseReference(ref string) (reference, error) {
	if strings.Contains(ref, ":") {
		d, err := parseDigest(ref)
		return reference{digest: d}, err
	}
	if !validTag(ref) {
		return reference{}, apiErr(errTagInvalid, "invalid tag %q", ref)
	}
	return reference{tag: ref}, nil
}

// parseDigest accepts only sha256, the one algorithm the cache can verify.
func parseDigest(s string) (v1.Hash, error) {
	d, err := v1.NewHash(s)
	if err != nil || d.Algorithm != "sha256" {
		return v1.Hash{}, apiErr(errDigestInvalid, "invalid digest %q", s)
	}
	return d, nil
}
