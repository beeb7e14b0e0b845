package upstreamtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// AddSchema1 stores a signed Docker schema 1 manifest (one layer of
// layerBytes) in repo under tag, the way Hub still serves some old images:
// Content-Type application/vnd.docker.distribution.manifest.v1+prettyjws,
// and a Docker-Content-Digest over the payload without its signatures
// (libtrust's JWS form), so the digest does not hash the body as sent.
// It returns that digest.
func (h *Hub) AddSchema1(repo, tag string, layerBytes int) v1.Hash {
	layer := make([]byte, layerBytes)
	layerDigest := h.store.putBlob(repo, layer)
	payload := schema1Payload(repo, tag, layerDigest)
	d := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(payload))}
	h.store.putManifestAs(repo, types.DockerManifestSchema1Signed, signSchema1(payload), d)
	h.tagIfNamed(repo, tag, d)
	return d
}

// schema1Payload is the unsigned manifest, indented by three spaces as
// docker's libtrust writes it.
func schema1Payload(repo, tag string, layer v1.Hash) []byte {
	compat, _ := json.Marshal(map[string]any{"id": strings.Repeat("a", 64), "architecture": "amd64", "os": "linux"})
	b, _ := json.MarshalIndent(map[string]any{
		"schemaVersion": 1, "name": repo, "tag": tag, "architecture": "amd64",
		"fsLayers": []map[string]string{{"blobSum": layer.String()}},
		"history":  []map[string]string{{"v1Compatibility": string(compat)}},
	}, "", "   ")
	return b
}

// signSchema1 inserts a signatures array before the payload's closing
// brace, and records in the protected header where it went (formatLength)
// and what followed (formatTail), which is how a verifier gets the payload
// back. The signature itself is filler: no client checks it any more.
func signSchema1(payload []byte) []byte {
	tail := "\n}"
	cut := len(payload) - len(tail)
	b64 := base64.RawURLEncoding.EncodeToString
	protected, _ := json.Marshal(map[string]any{"formatLength": cut, "formatTail": b64([]byte(tail)), "time": "2015-01-01T00:00:00Z"})
	sig := fmt.Sprintf(",\n   \"signatures\": [\n      {\n         \"header\": {\"alg\": \"ES256\"},\n         \"signature\": %q,\n         \"protected\": %q\n      }\n   ]",
		b64([]byte("not a real signature")), b64(protected))
	return []byte(string(payload[:cut]) + sig + tail)
}

// putManifestAs stores a manifest under a digest that is not the hash of
// its bytes, which only schema 1 does.
func (s *store) putManifestAs(repo string, mt types.MediaType, raw []byte, d v1.Hash) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repo(repo).manifests[d] = manifest{digest: d, mediaType: mt, raw: raw}
}
