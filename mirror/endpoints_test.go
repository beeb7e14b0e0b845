package mirror_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

const (
	dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
	dockerList     = "application/vnd.docker.distribution.manifest.list.v2+json"
	ociIndex       = "application/vnd.oci.image.index.v1+json"
	ociManifest    = "application/vnd.oci.image.manifest.v1+json"
)

// TestEndpoints walks every route of the read API through a real server, the
// way registry clients call it.
func TestEndpoints(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	seeded := hub.MustSeedStandard(t)
	m := startMirror(t, hub, setup{})
	alpine, busybox, oci := seeded["library/alpine"], seeded["library/busybox"], seeded["library/ocitest"]
	layer := alpine.Blobs[len(alpine.Blobs)-1]
	missing := "sha256:" + strings.Repeat("0", 64)
	allTypes := strings.Join([]string{ociIndex, dockerList, ociManifest, dockerManifest}, ", ")

	cases := []endpointCase{
		{"ping", "GET", "/v2/", "", 200, "", "application/json", ""},
		{"ping without slash", "GET", "/v2", "", 200, "", "", ""},
		{"manifest by tag", "GET", "/v2/library/alpine/manifests/latest", allTypes, 200, "", dockerManifest, alpine.Digest.String()},
		{"official image short name", "GET", "/v2/alpine/manifests/latest", allTypes, 200, "", dockerManifest, alpine.Digest.String()},
		{"manifest HEAD", "HEAD", "/v2/library/alpine/manifests/latest", allTypes, 200, "", dockerManifest, alpine.Digest.String()},
		{"manifest by digest", "GET", "/v2/library/alpine/manifests/" + alpine.Digest.String(), allTypes, 200, "", dockerManifest, alpine.Digest.String()},
		{"manifest list", "GET", "/v2/library/busybox/manifests/latest", allTypes, 200, "", dockerList, busybox.Digest.String()},
		{"list for a client without list support", "GET", "/v2/library/busybox/manifests/latest", dockerManifest, 200, "", dockerManifest, busybox.Children[0].String()},
		{"OCI manifest", "GET", "/v2/library/ocitest/manifests/1", allTypes, 200, "", ociManifest, oci.Digest.String()},
		{"namespaced repo", "GET", "/v2/someuser/app/manifests/v1", allTypes, 200, "", dockerManifest, seeded["someuser/app"].Digest.String()},
		{"no Accept gets the index", "GET", "/v2/library/busybox/manifests/latest", "", 200, "", dockerList, busybox.Digest.String()},
		{"blob", "GET", "/v2/library/alpine/blobs/" + layer.String(), "", 200, "", "application/octet-stream", layer.String()},
		{"blob HEAD", "HEAD", "/v2/library/alpine/blobs/" + layer.String(), "", 200, "", "application/octet-stream", layer.String()},
		{"tags", "GET", "/v2/library/alpine/tags/list", "", 200, "", "application/json", ""},
		{"unknown tag", "GET", "/v2/library/alpine/manifests/nope", allTypes, 404, "MANIFEST_UNKNOWN", "", ""},
		{"unknown manifest digest", "GET", "/v2/library/alpine/manifests/" + missing, allTypes, 404, "MANIFEST_UNKNOWN", "", ""},
		{"unknown blob", "GET", "/v2/library/alpine/blobs/" + missing, "", 404, "BLOB_UNKNOWN", "", ""},
		{"unknown blob HEAD", "HEAD", "/v2/library/alpine/blobs/" + missing, "", 404, "", "", ""},
		{"missing repo (Hub says 401)", "GET", "/v2/nobody/nothing/manifests/latest", allTypes, 404, "NAME_UNKNOWN", "", ""},
		{"upper-case name", "GET", "/v2/Library/Alpine/manifests/latest", "", 400, "NAME_INVALID", "", ""},
		{"name with ..", "GET", "/v2/library/../etc/manifests/latest", "", 400, "NAME_INVALID", "", ""},
		{"escaped slash", "GET", "/v2/library%2Falpine/manifests/latest", "", 404, "NOT_FOUND", "", ""},
		{"bad tag", "GET", "/v2/library/alpine/manifests/-latest", "", 400, "TAG_INVALID", "", ""},
		{"bad digest", "GET", "/v2/library/alpine/blobs/sha256:xyz", "", 400, "DIGEST_INVALID", "", ""},
		{"short digest", "GET", "/v2/library/alpine/blobs/sha256:abcd", "", 400, "DIGEST_INVALID", "", ""},
		{"unverifiable algorithm", "GET", "/v2/library/alpine/blobs/md5:d41d8cd98f00b204e9800998ecf8427e", "", 400, "DIGEST_INVALID", "", ""},
		{"unknown endpoint", "GET", "/v2/library/alpine/whatever/x", "", 404, "NOT_FOUND", "", ""},
		{"other registry via ns", "GET", "/v2/library/alpine/manifests/latest?ns=evil.example.com", "", 404, "NAME_UNKNOWN", "", ""},
		{"docker.io via ns", "GET", "/v2/library/alpine/manifests/latest?ns=docker.io", allTypes, 200, "", dockerManifest, alpine.Digest.String()},
		{"PUT manifest", "PUT", "/v2/library/alpine/manifests/latest", "", 405, "UNSUPPORTED", "", ""},
		{"DELETE manifest", "DELETE", "/v2/library/alpine/manifests/" + alpine.Digest.String(), "", 405, "UNSUPPORTED", "", ""},
		{"POST upload", "POST", "/v2/library/alpine/blobs/uploads/", "", 405, "UNSUPPORTED", "", ""},
		{"PATCH upload", "PATCH", "/v2/library/alpine/blobs/uploads/123", "", 405, "UNSUPPORTED", "", ""},
		{"PUT upload", "PUT", "/v2/library/alpine/blobs/uploads/123?digest=" + missing, "", 405, "UNSUPPORTED", "", ""},
		{"DELETE blob", "DELETE", "/v2/library/alpine/blobs/" + layer.String(), "", 405, "UNSUPPORTED", "", ""},
		{"GET upload status", "GET", "/v2/library/alpine/blobs/uploads/123", "", 405, "UNSUPPORTED", "", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkEndpoint(t, m, tc) })
	}
}

type endpointCase struct {
	name, method, path string
	accept             string
	status             int
	code               string // OCI error code, for errors
	contentType        string
	digest             string
}

func checkEndpoint(t *testing.T, mirrorURL string, tc endpointCase) {
	var hdr []string
	if tc.accept != "" {
		hdr = []string{"Accept", tc.accept}
	}
	resp, body := get(t, tc.method, mirrorURL+tc.path, hdr...)
	if resp.StatusCode != tc.status {
		t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
	}
	if got := resp.Header.Get("Docker-Distribution-API-Version"); got != "registry/2.0" {
		t.Errorf("Docker-Distribution-API-Version = %q", got)
	}
	if tc.code != "" {
		assertErrorCode(t, resp, body, tc.code)
	}
	if tc.contentType != "" && resp.Header.Get("Content-Type") != tc.contentType {
		t.Errorf("Content-Type = %q, want %q", resp.Header.Get("Content-Type"), tc.contentType)
	}
	if tc.digest != "" {
		checkDigestHeaders(t, resp, body, tc.method, tc.digest)
	}
}

func checkDigestHeaders(t *testing.T, resp *http.Response, body []byte, method, want string) {
	t.Helper()
	if got := resp.Header.Get("Docker-Content-Digest"); got != want {
		t.Errorf("Docker-Content-Digest = %q, want %q", got, want)
	}
	if got := resp.Header.Get("ETag"); got != `"`+want+`"` {
		t.Errorf("ETag = %q, want the quoted digest", got)
	}
	if method == "GET" && blobtest.Digest(body).String() != want {
		t.Errorf("body hashes to %s, want %s", blobtest.Digest(body).String(), want)
	}
	if method == "HEAD" && resp.ContentLength <= 0 {
		t.Errorf("HEAD without Content-Length")
	}
}

func assertErrorCode(t *testing.T, resp *http.Response, body []byte, code string) {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("error Content-Type = %q", ct)
	}
	var e struct {
		Errors []struct{ Code, Message string }
	}
	if err := json.Unmarshal(body, &e); err != nil || len(e.Errors) == 0 {
		t.Fatalf("error body %q is not OCI JSON: %v", body, err)
	}
	if e.Errors[0].Code != code {
		t.Errorf("code %q, want %q (message %q)", e.Errors[0].Code, code, e.Errors[0].Message)
	}
}

func TestTagListPassesPaginationThrough(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	for _, tag := range []string{"3.18", "3.19", "3.20"} {
		hub.Tag("library/alpine", tag, s.Digest)
	}
	m := startMirror(t, hub, setup{})
	resp, body := get(t, "GET", m+"/v2/alpine/tags/list?n=2&ns=docker.io")
	var list struct {
		Name string
		Tags []string
	}
	if err := json.Unmarshal(body, &list); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if len(list.Tags) != 2 || list.Tags[0] != "3.18" || list.Tags[1] != "3.19" {
		t.Errorf("first page = %v, want [3.18 3.19]", list.Tags)
	}
	if link := resp.Header.Get("Link"); !strings.Contains(link, "last=3.19") || !strings.Contains(link, `rel="next"`) {
		t.Errorf("Link = %q, want a next page after 3.19", link)
	}
}

// A conditional GET with the digest as ETag costs no body, as on Docker Hub.
func TestManifestIfNoneMatch(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	m := startMirror(t, hub, setup{})
	resp, body := get(t, "GET", m+"/v2/library/alpine/manifests/latest", "Accept", dockerManifest, "If-None-Match", `"`+s.Digest.String()+`"`)
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("status %d with %d body bytes, want 304 and none", resp.StatusCode, len(body))
	}
}
