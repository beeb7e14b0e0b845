package mirror_test

import (
	"bytes"
	"crypto/sha512"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// send is get with a request body.
func send(t *testing.T, method, url string, body []byte, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, got
}

// pusher pushes to a hosted repository the way registry clients do.
type pusher struct {
	t    *testing.T
	base string
}

// start opens an upload session and returns its Location as a full URL.
func (p pusher) start(repo string) string {
	p.t.Helper()
	resp, body := send(p.t, "POST", p.base+"/v2/"+repo+"/blobs/uploads/", nil)
	if resp.StatusCode != http.StatusAccepted {
		p.t.Fatalf("POST upload: %d %s, want 202", resp.StatusCode, body)
	}
	return p.resolve(resp.Header.Get("Location"))
}

func (p pusher) resolve(loc string) string {
	u, err := url.Parse(p.base)
	if err != nil {
		p.t.Fatal(err)
	}
	ref, err := url.Parse(loc)
	if err != nil {
		p.t.Fatal(err)
	}
	return u.ResolveReference(ref).String()
}

// withDigest adds ?digest= to an upload location.
func withDigest(loc string, d v1.Hash) string {
	sep := "?"
	if strings.Contains(loc, "?") {
		sep = "&"
	}
	return loc + sep + "digest=" + d.String()
}

// blob pushes content as containerd and Docker 29 do: an empty POST, then
// the whole blob in the final PUT.
func (p pusher) blob(repo string, content []byte) v1.Hash {
	p.t.Helper()
	d := blobtest.Digest(content)
	resp, body := send(p.t, "PUT", withDigest(p.start(repo), d), content)
	if resp.StatusCode != http.StatusCreated {
		p.t.Fatalf("PUT blob: %d %s, want 201", resp.StatusCode, body)
	}
	return d
}

// image pushes a config and layers and an OCI manifest naming them under
// tag, and returns the manifest's digest and body.
func (p pusher) image(repo, tag string, layers ...[]byte) (v1.Hash, []byte) {
	p.t.Helper()
	config := []byte(fmt.Sprintf(`{"architecture":"amd64","os":"linux","repo":%q,"tag":%q}`, repo, tag))
	body := manifestOf(p.blob(repo, config), len(config), pushLayers(p, repo, layers))
	resp, msg := send(p.t, "PUT", p.base+"/v2/"+repo+"/manifests/"+tag, body, "Content-Type", ociManifest)
	if resp.StatusCode != http.StatusCreated {
		p.t.Fatalf("PUT manifest: %d %s, want 201", resp.StatusCode, msg)
	}
	return blobtest.Digest(body), body
}

func pushLayers(p pusher, repo string, layers [][]byte) []ociDescriptor {
	var out []ociDescriptor
	for _, l := range layers {
		out = append(out, ociDescriptor{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: p.blob(repo, l).String(), Size: len(l)})
	}
	return out
}

type ociDescriptor struct {
	MediaType    string `json:"mediaType"`
	Digest       string `json:"digest"`
	Size         int    `json:"size"`
	ArtifactType string `json:"artifactType,omitempty"`
}

type ociManifestDoc struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     string          `json:"mediaType"`
	ArtifactType  string          `json:"artifactType,omitempty"`
	Config        ociDescriptor   `json:"config"`
	Layers        []ociDescriptor `json:"layers"`
	Subject       *ociDescriptor  `json:"subject,omitempty"`
}

func manifestOf(config v1.Hash, configSize int, layers []ociDescriptor) []byte {
	b, _ := json.Marshal(ociManifestDoc{SchemaVersion: 2, MediaType: ociManifest,
		Config: ociDescriptor{MediaType: "application/vnd.oci.image.config.v1+json", Digest: config.String(), Size: configSize},
		Layers: layers})
	return b
}

// noUpstream fails the test if the fake hub saw anything at all.
func noUpstream(t *testing.T, hub *upstreamtest.Hub) {
	t.Helper()
	if c := hub.Counts(); c.Requests+c.Tokens+c.CDNGets != 0 {
		t.Errorf("upstream saw %d registry requests, %d token requests, %d CDN requests; want none", c.Requests, c.Tokens, c.CDNGets)
	}
}

func sha512Hex(b []byte) string {
	sum := sha512.Sum512(b)
	return hex.EncodeToString(sum[:])
}

// uploadTemps counts the store's upload temp files.
func uploadTemps(t *testing.T, dataDir string) int {
	t.Helper()
	names, err := filepath.Glob(filepath.Join(dataDir, "tmp", "upload-*"))
	if err != nil {
		t.Fatal(err)
	}
	return len(names)
}
