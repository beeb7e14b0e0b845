package upstreamtest

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/hubmirror/hubmirror/internal/blobtest"
)

func TestManifestHeaders(t *testing.T) {
	h, seeds := seeded(t, Options{})
	alpine := seeds["library/alpine:latest"]
	auth := bearer(token(t, h, "library/alpine", "", ""))
	u := h.URL + "/v2/library/alpine/manifests/latest"
	r := do(t, http.MethodGet, u, auth)
	hd := r.header
	if r.status != 200 || hd.Get("Content-Type") != string(types.DockerManifestSchema2) ||
		hd.Get("Docker-Content-Digest") != alpine.Digest.String() || hd.Get("ETag") != `"`+alpine.Digest.String()+`"` ||
		blobtest.Digest(r.body) != alpine.Digest {
		t.Fatalf("GET: %d %v", r.status, hd)
	}
	if hd.Get("ratelimit-limit") != "100;w=21600" || hd.Get("ratelimit-remaining") != "99;w=21600" {
		t.Errorf("rate limit headers %v", hd)
	}
	r = do(t, http.MethodHead, u, auth)
	if r.status != 200 || r.header.Get("ratelimit-remaining") != "99;w=21600" || r.header.Get("Content-Length") != hd.Get("Content-Length") {
		t.Errorf("HEAD: %d %v", r.status, r.header)
	}
	r = do(t, http.MethodGet, h.URL+"/v2/library/alpine/manifests/"+alpine.Digest.String(), auth)
	if r.status != 200 || r.header.Get("ratelimit-remaining") != "98;w=21600" {
		t.Errorf("by digest: %d %v", r.status, r.header)
	}
	if c := h.Counts(); c.ManifestGets != 2 || c.ManifestHeads != 1 {
		t.Errorf("counts %+v", c)
	}
}

// The fake negotiates as distribution's GetManifest (and so Docker Hub)
// does; a mirror tested against a kinder fake would poison tags for real.
func TestNegotiationFollowsDistribution(t *testing.T) {
	h, seeds := seeded(t, Options{})
	bb, oci := seeds["library/busybox:latest"], seeds["library/ocitest:1"]
	idx, err := MultiArch(true)
	if err != nil {
		t.Fatal(err)
	}
	ociIdx := h.AddIndex("library/busybox", "oci", idx)
	const (
		list, schema2 = string(types.DockerManifestList), string(types.DockerManifestSchema2)
		index, ociMan = string(types.OCIImageIndex), string(types.OCIManifestSchema1)
	)
	child := bb.Children[0].String() // MultiArch lists amd64 first
	for _, tc := range []struct {
		name, repo, ref, accept string
		status                  int
		wantType, wantDigest    string
	}{
		{"single types only", "library/busybox", "latest", schema2 + ", " + ociMan + ";q=0.9", 200, schema2, child},
		{"list accepted", "library/busybox", "latest", schema2 + "," + list, 200, list, bb.Digest.String()},
		{"OCI index accepted is not enough", "library/busybox", "latest", index + "," + ociMan + "," + schema2, 200, schema2, child},
		{"child must be acceptable", "library/busybox", "latest", index + "," + ociMan, 400, "", ""},
		{"no accept accepts nothing", "library/busybox", "latest", "", 400, "", ""},
		{"by digest is exact", "library/busybox", bb.Digest.String(), schema2, 200, list, bb.Digest.String()},
		{"OCI index without its type", "library/busybox", "oci", list + "," + schema2 + "," + ociMan, 404, "", ""},
		{"OCI index by digest without its type", "library/busybox", ociIdx.String(), schema2, 404, "", ""},
		{"OCI index accepted", "library/busybox", "oci", index, 200, index, ociIdx.String()},
		{"OCI manifest without its type", "library/ocitest", "1", schema2 + "," + list, 404, "", ""},
		{"OCI manifest", "library/ocitest", "1", ociMan, 200, ociMan, oci.Digest.String()},
		{"schema 2 to a schema 1 client", "library/alpine", "latest", string(types.DockerManifestSchema1Signed), 200, schema2, seeds["library/alpine:latest"].Digest.String()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := bearer(token(t, h, tc.repo, "", ""))
			if tc.accept != "" {
				hdr.Set("Accept", tc.accept)
			}
			r := do(t, http.MethodGet, h.URL+"/v2/"+tc.repo+"/manifests/"+tc.ref, hdr)
			if r.status != tc.status || tc.status == 200 && (r.header.Get("Content-Type") != tc.wantType || r.header.Get("Docker-Content-Digest") != tc.wantDigest) {
				t.Errorf("%d %s %s %s", r.status, r.header.Get("Content-Type"), r.header.Get("Docker-Content-Digest"), r.body)
			}
		})
	}
}

// A schema 1 manifest's digest covers the payload without signatures, so
// it is not the hash of the bytes served.
func TestSchema1DigestIsOfThePayload(t *testing.T) {
	h := New(t, Options{})
	d := h.AddSchema1("library/old", "1", 100)
	r := do(t, http.MethodGet, h.URL+"/v2/library/old/manifests/1", bearer(token(t, h, "library/old", "", "")))
	if r.status != 200 || r.header.Get("Content-Type") != string(types.DockerManifestSchema1Signed) || r.header.Get("Docker-Content-Digest") != d.String() {
		t.Fatalf("%d %v", r.status, r.header)
	}
	if blobtest.Digest(r.body) == d || !strings.Contains(string(r.body), `"signatures"`) {
		t.Errorf("body should be the signed form: %s", r.body)
	}
}

func TestHeadModes(t *testing.T) {
	h, _ := seeded(t, Options{})
	auth := bearer(token(t, h, "library/alpine", "", ""))
	u := h.URL + "/v2/library/alpine/manifests/latest"
	h.SetHeadMode(HeadNotAllowed)
	if r := do(t, http.MethodHead, u, auth); r.status != http.StatusMethodNotAllowed {
		t.Errorf("HeadNotAllowed: %d", r.status)
	}
	h.SetHeadMode(HeadNoDigest)
	if r := do(t, http.MethodHead, u, auth); r.status != 200 || r.header.Get("Docker-Content-Digest") != "" {
		t.Errorf("HeadNoDigest: %d %v", r.status, r.header)
	}
	if r := do(t, http.MethodGet, u, auth); r.header.Get("Docker-Content-Digest") == "" {
		t.Errorf("GET lost its digest")
	}
}

func TestRegistryErrors(t *testing.T) {
	h, _ := seeded(t, Options{})
	auth := bearer(token(t, h, "library/alpine", "", ""))
	for _, tc := range []struct {
		method, path string
		status       int
		code         string
	}{
		{http.MethodGet, "/v2/library/alpine/manifests/nope", 404, "MANIFEST_UNKNOWN"},
		{http.MethodGet, "/v2/library/alpine/manifests/sha256:" + blobtest.Digest(nil).Hex, 404, "MANIFEST_UNKNOWN"},
		{http.MethodPut, "/v2/library/alpine/manifests/latest", 405, "UNSUPPORTED"},
		{http.MethodDelete, "/v2/library/alpine/blobs/sha256:" + blobtest.Digest(nil).Hex, 405, "UNSUPPORTED"},
		{http.MethodGet, "/v2/library/alpine/other", 404, "NOT_FOUND"},
		{http.MethodGet, "/v1/search", 404, "NOT_FOUND"},
		{http.MethodGet, "/v2/library/alpine/blobs/notadigest", 400, "DIGEST_INVALID"},
	} {
		r := do(t, tc.method, h.URL+tc.path, auth)
		if r.status != tc.status || errorCode(t, r.body) != tc.code || r.header.Get("Docker-Distribution-API-Version") == "" {
			t.Errorf("%s %s: %d %s", tc.method, tc.path, r.status, r.body)
		}
	}
}
