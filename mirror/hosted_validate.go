package mirror

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"mime"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
)

// maxManifestPush bounds a pushed manifest, as distribution's registry
// does (4 MiB): more is no image, and the body is read into memory.
const maxManifestPush = 4 << 20

const ociIndexType = "application/vnd.oci.image.index.v1+json"

// pushableTypes are the manifest media types a hosted repository takes,
// and whether each is an index. Docker's schema 1 is long deprecated and
// signed in a way nobody can check here.
var pushableTypes = map[string]bool{
	"application/vnd.oci.image.manifest.v1+json": false,
	ociIndexType: true,
	"application/vnd.docker.distribution.manifest.v2+json":      false,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
}

// descriptor is a manifest's reference to content. Its digest stays a
// string until checked: go-containerregistry parses only sha256, and
// pushed content may name sha512.
type descriptor struct {
	MediaType    string            `json:"mediaType"`
	Digest       string            `json:"digest"`
	Size         int64             `json:"size"`
	ArtifactType string            `json:"artifactType,omitempty"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	URLs         []string          `json:"urls,omitempty"`
}

// pushedManifest is the part of an image manifest or index the mirror
// checks and indexes.
type pushedManifest struct {
	SchemaVersion int               `json:"schemaVersion"`
	MediaType     string            `json:"mediaType"`
	ArtifactType  string            `json:"artifactType"`
	Config        *descriptor       `json:"config"`
	Layers        []descriptor      `json:"layers"`
	Manifests     []descriptor      `json:"manifests"`
	Subject       *descriptor       `json:"subject"`
	Annotations   map[string]string `json:"annotations"`
}

func manifestInvalid(format string, args ...any) error {
	return apiErr(errManifestInvalid, format, args...)
}

// parseManifestPush checks a pushed manifest and says what it refers to.
// The store then checks that all of it is there.
func parseManifestPush(rt route, contentType string, tags []string, body []byte) (cache.ManifestPush, error) {
	p := cache.ManifestPush{Repo: rt.repo, Body: body}
	if len(body) > maxManifestPush {
		return p, manifestInvalid("manifest larger than %s", humanBytes(maxManifestPush))
	}
	var pm pushedManifest
	if err := json.Unmarshal(body, &pm); err != nil {
		return p, manifestInvalid("manifest is not JSON: %v", err)
	}
	mt, err := manifestType(contentType, pm)
	if err != nil {
		return p, err
	}
	p.MediaType = mt
	if p.Digest, err = pushDigest(rt.ref, body); err != nil {
		return p, err
	}
	if p.Tags, err = pushTags(rt.ref, tags); err != nil {
		return p, err
	}
	if err := pm.references(&p, pushableTypes[mt]); err != nil {
		return p, err
	}
	return p, pm.asReferrer(&p)
}

// manifestType is the media type the manifest is stored and served under:
// the Content-Type, which must agree with the body's mediaType if set.
func manifestType(contentType string, pm pushedManifest) (string, error) {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch {
	case pm.SchemaVersion != 2:
		return "", manifestInvalid("schemaVersion %d: only 2 is accepted", pm.SchemaVersion)
	case mt == "":
		mt = pm.MediaType
	case pm.MediaType != "" && pm.MediaType != mt:
		return "", manifestInvalid("Content-Type %s does not match the manifest's mediaType %s", mt, pm.MediaType)
	}
	if _, ok := pushableTypes[mt]; !ok {
		return "", manifestInvalid("unsupported manifest media type %q", mt)
	}
	return mt, nil
}

// pushDigest is the manifest's digest: by the algorithm of the digest it
// was pushed by, which it must match; sha256 when pushed by tag.
func pushDigest(ref reference, body []byte) (v1.Hash, error) {
	if !ref.isDigest() {
		sum := sha256.Sum256(body)
		return v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}, nil
	}
	var got string
	if ref.digest.Algorithm == "sha512" {
		sum := sha512.Sum512(body)
		got = hex.EncodeToString(sum[:])
	} else {
		sum := sha256.Sum256(body)
		got = hex.EncodeToString(sum[:])
	}
	if got != ref.digest.Hex {
		return v1.Hash{}, apiErr(errDigestInvalid, "manifest does not match the digest %s it was pushed by", ref.digest)
	}
	return ref.digest, nil
}

// pushTags are the tags a push sets: the one it was pushed by, or those
// a push by digest names in ?tag= (distribution-spec 1.1+dev), which lets
// content named by sha512 be tagged at all.
func pushTags(ref reference, params []string) ([]string, error) {
	if !ref.isDigest() {
		return []string{ref.tag}, nil
	}
	for _, t := range params {
		if _, err := parseReference(t); err != nil || strings.Contains(t, ":") {
			return nil, apiErr(errTagInvalid, "invalid tag %q", t)
		}
	}
	return params, nil
}

// references fills in the blobs an image needs or the manifests an index
// does. Layers with URLs (Windows' foreign layers) are fetched from
// elsewhere and need not be here.
func (pm pushedManifest) references(p *cache.ManifestPush, index bool) error {
	if index {
		for _, d := range pm.Manifests {
			h, err := descriptorDigest(d)
			if err != nil {
				return err
			}
			p.Children = append(p.Children, h)
		}
		return nil
	}
	if pm.Config == nil {
		return manifestInvalid("image manifest without a config")
	}
	for _, d := range append([]descriptor{*pm.Config}, pm.Layers...) {
		h, err := descriptorDigest(d)
		if err != nil {
			return err
		}
		if len(d.URLs) == 0 {
			p.Blobs = append(p.Blobs, h)
		}
	}
	return nil
}

func descriptorDigest(d descriptor) (v1.Hash, error) {
	h, err := parseHostedDigest(d.Digest)
	if err != nil {
		return v1.Hash{}, manifestInvalid("descriptor digest %q is not a sha256 or sha512 digest", d.Digest)
	}
	return h, nil
}

// asReferrer indexes a manifest with a subject under it, with the
// descriptor the referrers API lists: its artifactType is the manifest's,
// else its config's media type, as the distribution spec says.
func (pm pushedManifest) asReferrer(p *cache.ManifestPush) error {
	if pm.Subject == nil {
		return nil
	}
	if _, err := descriptorDigest(*pm.Subject); err != nil {
		return err
	}
	at := pm.ArtifactType
	if at == "" && pm.Config != nil {
		at = pm.Config.MediaType
	}
	desc := descriptor{MediaType: p.MediaType, Digest: p.Digest.String(), Size: int64(len(p.Body)),
		ArtifactType: at, Annotations: pm.Annotations}
	b, err := json.Marshal(desc)
	p.Subject, p.Referrer = strings.TrimSpace(pm.Subject.Digest), b
	return err
}
