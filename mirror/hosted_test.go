package mirror_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

var hostedTeam = []string{"team/*", "infra/*/*"}

func startHosted(t *testing.T, s setup) (*upstreamtest.Hub, running) {
	t.Helper()
	return startHostedOn(t, upstreamtest.New(t, upstreamtest.Options{}), s)
}

// startHostedOn runs a mirror hosting team/* and infra/*/* (or s.hosted)
// in front of hub.
func startHostedOn(t *testing.T, hub *upstreamtest.Hub, s setup) (*upstreamtest.Hub, running) {
	t.Helper()
	if s.hosted == nil {
		s.hosted = hostedTeam
	}
	r := startMirrorUntilStopped(t, hub, s)
	t.Cleanup(r.stop)
	return hub, r
}

// A pushed image pulls back byte for byte, by tag and by digest, and is
// listed; nothing of it, not even a missing tag, reaches upstream.
func TestHostedPushPull(t *testing.T) {
	hub, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	layer := bytes.Repeat([]byte("layer "), 10000)
	d, body := p.image("team/app", "1.4", layer)

	for _, ref := range []string{"1.4", d.String()} {
		resp, got := get(t, "GET", m.url+"/v2/team/app/manifests/"+ref, "Accept", ociManifest)
		if resp.StatusCode != 200 || !bytes.Equal(got, body) {
			t.Fatalf("GET manifest %s: %d, %d bytes; want 200 and the pushed %d", ref, resp.StatusCode, len(got), len(body))
		}
		checkDigestHeaders(t, resp, got, "GET", d.String())
		if ct := resp.Header.Get("Content-Type"); ct != ociManifest {
			t.Errorf("Content-Type %q, want %q", ct, ociManifest)
		}
	}
	ld := blobtest.Digest(layer)
	resp, got := get(t, "GET", m.url+"/v2/team/app/blobs/"+ld.String())
	if resp.StatusCode != 200 || !bytes.Equal(got, layer) {
		t.Fatalf("GET layer: %d, %d bytes", resp.StatusCode, len(got))
	}
	checkDigestHeaders(t, resp, got, "GET", ld.String())
	resp, got = get(t, "GET", m.url+"/v2/team/app/tags/list")
	if resp.StatusCode != 200 || string(got) != `{"name":"team/app","tags":["1.4"]}`+"\n" {
		t.Errorf("tags: %d %s", resp.StatusCode, got)
	}
	resp, got = get(t, "GET", m.url+"/v2/_catalog")
	if resp.StatusCode != 200 || !strings.Contains(string(got), `"team/app"`) {
		t.Errorf("catalog: %d %s, want team/app listed", resp.StatusCode, got)
	}
	for path, code := range map[string]string{
		"/v2/team/app/manifests/1.5":                                  "MANIFEST_UNKNOWN",
		"/v2/team/other/manifests/latest":                             "MANIFEST_UNKNOWN",
		"/v2/team/app/blobs/" + blobtest.Digest([]byte("x")).String(): "BLOB_UNKNOWN",
		"/v2/team/other/tags/list":                                    "NAME_UNKNOWN",
	} {
		resp, got := get(t, "GET", m.url+path)
		if resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
		assertErrorCode(t, resp, got, code)
	}
	noUpstream(t, hub)
}

// The chunked protocol: Content-Range chunks in order, 416 for one out of
// order (and the session survives it), progress in Range, a final PUT
// with the digest, and a session that is gone once finished.
func TestHostedChunkedUpload(t *testing.T) {
	hub, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	content := bytes.Repeat([]byte("0123456789"), 1000)
	loc := p.start("team/app")

	resp, body := send(t, "PATCH", loc, content[:4000], "Content-Range", "0-3999", "Content-Type", "application/octet-stream")
	if resp.StatusCode != 202 || resp.Header.Get("Range") != "0-3999" || resp.Header.Get("Docker-Upload-UUID") == "" {
		t.Fatalf("PATCH 1: %d Range=%q UUID=%q %s", resp.StatusCode, resp.Header.Get("Range"), resp.Header.Get("Docker-Upload-UUID"), body)
	}
	loc = p.resolve(resp.Header.Get("Location"))
	resp, body = send(t, "PATCH", loc, content[5000:6000], "Content-Range", "5000-5999")
	if resp.StatusCode != http.StatusRequestedRangeNotSatisfiable {
		t.Fatalf("out-of-order PATCH: %d %s, want 416", resp.StatusCode, body)
	}
	resp, _ = get(t, "GET", loc)
	if resp.StatusCode != 204 || resp.Header.Get("Range") != "0-3999" {
		t.Fatalf("upload status after 416: %d Range=%q, want 204 0-3999", resp.StatusCode, resp.Header.Get("Range"))
	}
	resp, body = send(t, "PATCH", loc, content[4000:], "Content-Range", "4000-9999")
	if resp.StatusCode != 202 || resp.Header.Get("Range") != "0-9999" {
		t.Fatalf("PATCH 2: %d Range=%q %s", resp.StatusCode, resp.Header.Get("Range"), body)
	}
	d := blobtest.Digest(content)
	resp, body = send(t, "PUT", withDigest(p.resolve(resp.Header.Get("Location")), d), nil)
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != d.String() ||
		resp.Header.Get("Location") != "/v2/team/app/blobs/"+d.String() {
		t.Fatalf("final PUT: %d %v %s", resp.StatusCode, resp.Header, body)
	}
	resp, got := get(t, "GET", m.url+"/v2/team/app/blobs/"+d.String())
	if resp.StatusCode != 200 || !bytes.Equal(got, content) {
		t.Fatalf("GET pushed blob: %d, %d bytes", resp.StatusCode, len(got))
	}
	resp, got = get(t, "GET", loc)
	if resp.StatusCode != 404 {
		t.Errorf("status of a finished upload: %d, want 404", resp.StatusCode)
	}
	assertErrorCode(t, resp, got, "BLOB_UPLOAD_UNKNOWN")
	noUpstream(t, hub)
}

// Docker's streamed PATCH without Content-Range, a monolithic POST, a
// sha512 blob, and a cancelled upload.
func TestHostedUploadStyles(t *testing.T) {
	_, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	streamed := []byte("streamed layer")
	loc := p.start("team/app")
	resp, _ := send(t, "PATCH", loc, streamed)
	if resp.StatusCode != 202 {
		t.Fatalf("streamed PATCH: %d", resp.StatusCode)
	}
	resp, _ = send(t, "PUT", withDigest(p.resolve(resp.Header.Get("Location")), blobtest.Digest(streamed)), nil)
	if resp.StatusCode != 201 {
		t.Fatalf("PUT after streamed PATCH: %d", resp.StatusCode)
	}

	mono := []byte("monolithic")
	resp, body := send(t, "POST", m.url+"/v2/team/app/blobs/uploads/?digest="+blobtest.Digest(mono).String(), mono)
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != blobtest.Digest(mono).String() {
		t.Fatalf("monolithic POST: %d %s", resp.StatusCode, body)
	}

	sha512 := "sha512:" + sha512Hex([]byte("sha512 content"))
	resp, body = send(t, "POST", m.url+"/v2/team/app/blobs/uploads/?digest="+sha512, []byte("sha512 content"))
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != sha512 {
		t.Fatalf("sha512 POST: %d %s", resp.StatusCode, body)
	}
	resp, got := get(t, "GET", m.url+"/v2/team/app/blobs/"+sha512)
	if resp.StatusCode != 200 || string(got) != "sha512 content" || resp.Header.Get("Docker-Content-Digest") != sha512 {
		t.Fatalf("GET sha512 blob: %d %q", resp.StatusCode, got)
	}

	loc = p.start("team/app")
	if resp, _ := send(t, "DELETE", loc, nil); resp.StatusCode != 204 {
		t.Fatalf("DELETE upload: %d, want 204", resp.StatusCode)
	}
	if resp, _ := send(t, "PATCH", loc, []byte("late")); resp.StatusCode != 404 {
		t.Errorf("PATCH after cancel: %d, want 404", resp.StatusCode)
	}
}

// A final PUT whose bytes do not match its digest stores nothing: the
// blob is not there by either digest and the session is gone.
func TestHostedDigestMismatchStoresNothing(t *testing.T) {
	_, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	content := []byte("what was sent")
	loc := p.start("team/app")
	resp, body := send(t, "PUT", withDigest(loc, blobtest.Digest([]byte("what was promised"))), content)
	if resp.StatusCode != 400 {
		t.Fatalf("mismatched PUT: %d %s, want 400", resp.StatusCode, body)
	}
	assertErrorCode(t, resp, body, "DIGEST_INVALID")
	for _, d := range []string{blobtest.Digest(content).String(), blobtest.Digest([]byte("what was promised")).String()} {
		if resp, _ := get(t, "HEAD", m.url+"/v2/team/app/blobs/"+d); resp.StatusCode != 404 {
			t.Errorf("HEAD %s after a failed upload: %d, want 404", d, resp.StatusCode)
		}
	}
	if resp, _ := get(t, "GET", loc); resp.StatusCode != 404 {
		t.Errorf("session after a failed upload: %d, want 404", resp.StatusCode)
	}
	if st, _ := m.store.Stats(); st.Hosted != 0 || st.Entries != 0 {
		t.Errorf("store after a failed upload: %+v, want empty", st)
	}
}

// Writes outside the hosted patterns are refused, naming the patterns, and
// nothing of them reaches upstream; bad manifests are refused with the
// spec's codes.
func TestHostedRefusals(t *testing.T) {
	hub, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	missing := blobtest.Digest([]byte("never pushed"))
	config := p.blob("team/app", []byte("{}"))
	badRef := manifestOf(config, 2, []ociDescriptor{{MediaType: "application/vnd.oci.image.layer.v1.tar+gzip", Digest: missing.String(), Size: 12}})
	good := manifestOf(config, 2, nil)
	cases := []struct {
		name, method, path, contentType string
		body                            []byte
		status                          int
		code                            string
	}{
		{"push to a mirrored name", "POST", "/v2/library/alpine/blobs/uploads/", "", nil, 403, "DENIED"},
		{"manifest to a mirrored name", "PUT", "/v2/someuser/app/manifests/1", ociManifest, good, 403, "DENIED"},
		{"delete a mirrored blob", "DELETE", "/v2/library/alpine/blobs/" + missing.String(), "", nil, 403, "DENIED"},
		{"deeper than the pattern", "POST", "/v2/team/app/sub/blobs/uploads/", "", nil, 403, "DENIED"},
		{"manifest naming a missing blob", "PUT", "/v2/team/app/manifests/1", ociManifest, badRef, 400, "MANIFEST_BLOB_UNKNOWN"},
		{"manifest not JSON", "PUT", "/v2/team/app/manifests/1", ociManifest, []byte("{"), 400, "MANIFEST_INVALID"},
		{"manifest too large", "PUT", "/v2/team/app/manifests/1", ociManifest, bytes.Repeat([]byte(" "), 4<<20+1), 400, "MANIFEST_INVALID"},
		{"media type disagrees", "PUT", "/v2/team/app/manifests/1", dockerManifest, good, 400, "MANIFEST_INVALID"},
		{"pushed by the wrong digest", "PUT", "/v2/team/app/manifests/" + missing.String(), ociManifest, good, 400, "DIGEST_INVALID"},
		{"PATCH to no session", "PATCH", "/v2/team/app/blobs/uploads/nosuch", "", []byte("x"), 404, "BLOB_UPLOAD_UNKNOWN"},
		{"PUT to no session", "PUT", "/v2/team/app/blobs/uploads/nosuch?digest=" + missing.String(), "", nil, 404, "BLOB_UPLOAD_UNKNOWN"},
		{"bad digest on finish", "POST", "/v2/team/app/blobs/uploads/?digest=sha256:xyz", "", nil, 400, "DIGEST_INVALID"},
		{"delete a missing manifest", "DELETE", "/v2/team/app/manifests/" + missing.String(), "", nil, 404, "MANIFEST_UNKNOWN"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, tc.method, m.url+tc.path, tc.body, "Content-Type", tc.contentType)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tc.status)
			}
			assertErrorCode(t, resp, body, tc.code)
			if tc.code == "DENIED" && !strings.Contains(string(body), "team/*") {
				t.Errorf("refusal %s does not name the hosted patterns", body)
			}
		})
	}
	if resp, _ := get(t, "GET", m.url+"/v2/team/app/manifests/1"); resp.StatusCode != 404 {
		t.Errorf("a refused manifest is visible: %d", resp.StatusCode)
	}
	noUpstream(t, hub)
}

func jsonField(t *testing.T, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("%s: %v", body, err)
	}
}
