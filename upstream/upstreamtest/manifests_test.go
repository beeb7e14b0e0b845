package upstreamtest

import (
	"net/http"
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

func TestAcceptDowngradesListToAmd64(t *testing.T) {
	h, seeds := seeded(t, Options{})
	bb := seeds["library/busybox:latest"]
	auth := bearer(token(t, h, "library/busybox", "", ""))
	u := h.URL + "/v2/library/busybox/manifests/"
	for _, tc := range []struct {
		name, ref, accept, wantType string
		wantChild                   bool
	}{
		{"single types only", "latest", "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json;q=0.9", string(types.DockerManifestSchema2), true},
		{"list accepted", "latest", "application/vnd.docker.distribution.manifest.v2+json,application/vnd.docker.distribution.manifest.list.v2+json", string(types.DockerManifestList), false},
		{"no accept", "latest", "", string(types.DockerManifestList), false},
		{"by digest is exact", bb.Digest.String(), "application/vnd.docker.distribution.manifest.v2+json", string(types.DockerManifestList), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hdr := auth.Clone()
			if tc.accept != "" {
				hdr.Set("Accept", tc.accept)
			}
			r := do(t, http.MethodGet, u+tc.ref, hdr)
			want := bb.Digest.String()
			if tc.wantChild {
				want = bb.Children[0].String() // MultiArch lists amd64 first
			}
			if r.status != 200 || r.header.Get("Content-Type") != tc.wantType || r.header.Get("Docker-Content-Digest") != want {
				t.Errorf("%d %s %s", r.status, r.header.Get("Content-Type"), r.header.Get("Docker-Content-Digest"))
			}
		})
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
