package mirror_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/hubmirror/hubmirror/cache/cachetest"
	"github.com/hubmirror/hubmirror/internal/blobtest"
)

// Mounts: from mirrored content (an image FROM alpine pushes alpine's
// layers this way), from another hosted repository, and by digest alone;
// a mount that cannot be made falls back to a session (202).
func TestHostedMount(t *testing.T) {
	hub, m := startHosted(t, setup{})
	// alpine's layer as a fill leaves it in the store (a pull's fill
	// files it only after its client has the last byte, so the test
	// files it itself rather than race the pull).
	mirrored := cachetest.NewBlob("alpine's base layer", 8<<10)
	cachetest.Fill(t, m.store, mirrored)
	base := mirrored.Digest
	p := pusher{t, m.url}
	own := p.blob("team/a", []byte("team a's layer"))
	for _, tc := range []struct {
		name, query string
		status      int
	}{
		{"from mirrored content", "?mount=" + base.String() + "&from=library/alpine", 201},
		{"from another hosted repository", "?mount=" + own.String() + "&from=team/a", 201},
		{"by digest alone", "?mount=" + own.String(), 201},
		{"of something nobody has", "?mount=" + blobtest.Digest([]byte("nothing")).String() + "&from=team/a", 202},
		{"from a hosted repository without it", "?mount=" + base.String() + "&from=team/c", 202},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := send(t, "POST", m.url+"/v2/team/b/blobs/uploads/"+tc.query, nil)
			if resp.StatusCode != tc.status {
				t.Fatalf("%d %s, want %d", resp.StatusCode, body, tc.status)
			}
		})
	}
	for _, d := range []string{base.String(), own.String()} {
		if resp, _ := get(t, "HEAD", m.url+"/v2/team/b/blobs/"+d); resp.StatusCode != 200 {
			t.Errorf("HEAD mounted %s: %d, want 200", d, resp.StatusCode)
		}
	}
	noUpstream(t, hub)
}

// A manifest with a subject is indexed as its referrer: the push answers
// OCI-Subject, the referrers API lists it (and filters by artifactType),
// and deleting it takes it off the list.
func TestHostedReferrers(t *testing.T) {
	_, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	subject, body := p.image("team/app", "1", []byte("layer"))
	empty := p.blob("team/app", []byte("{}"))
	art := ociManifestDoc{SchemaVersion: 2, MediaType: ociManifest, ArtifactType: "application/vnd.example.sbom",
		Config:  ociDescriptor{MediaType: "application/vnd.oci.empty.v1+json", Digest: empty.String(), Size: 2},
		Layers:  []ociDescriptor{{MediaType: "application/vnd.oci.empty.v1+json", Digest: empty.String(), Size: 2}},
		Subject: &ociDescriptor{MediaType: ociManifest, Digest: subject.String(), Size: len(body)}}
	artBody := mustJSON(t, art)
	artDigest := blobtest.Digest(artBody)
	resp, msg := send(t, "PUT", m.url+"/v2/team/app/manifests/"+artDigest.String(), artBody, "Content-Type", ociManifest)
	if resp.StatusCode != 201 || resp.Header.Get("OCI-Subject") != subject.String() {
		t.Fatalf("PUT referrer: %d OCI-Subject=%q %s", resp.StatusCode, resp.Header.Get("OCI-Subject"), msg)
	}
	list := referrers(t, m.url+"/v2/team/app/referrers/"+subject.String())
	if len(list) != 1 || list[0].Digest != artDigest.String() || list[0].ArtifactType != "application/vnd.example.sbom" {
		t.Fatalf("referrers = %+v, want the one SBOM", list)
	}
	resp, _ = get(t, "GET", m.url+"/v2/team/app/referrers/"+subject.String()+"?artifactType=application/other")
	if resp.Header.Get("OCI-Filters-Applied") != "artifactType" {
		t.Errorf("filtered list without OCI-Filters-Applied")
	}
	if got := referrers(t, m.url+"/v2/team/app/referrers/"+subject.String()+"?artifactType=application/other"); len(got) != 0 {
		t.Errorf("filtered referrers = %+v, want none", got)
	}
	if resp, _ := send(t, "DELETE", m.url+"/v2/team/app/manifests/"+artDigest.String(), nil); resp.StatusCode != 202 {
		t.Fatalf("DELETE referrer: %d", resp.StatusCode)
	}
	if got := referrers(t, m.url+"/v2/team/app/referrers/"+subject.String()); len(got) != 0 {
		t.Errorf("referrers after delete = %+v, want none", got)
	}
}

func referrers(t *testing.T, url string) []ociDescriptor {
	t.Helper()
	resp, body := get(t, "GET", url)
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != ociIndex {
		t.Fatalf("referrers: %d %q %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	var idx struct{ Manifests []ociDescriptor }
	jsonField(t, body, &idx)
	return idx.Manifests
}

// Deleting a tag leaves the manifest; deleting the manifest takes its
// tags with it; deleting a blob unlinks it.
func TestHostedDeletes(t *testing.T) {
	_, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	layer := []byte("layer to delete")
	d, body := p.image("team/app", "1", layer)
	if resp, _ := send(t, "PUT", m.url+"/v2/team/app/manifests/2", body, "Content-Type", ociManifest); resp.StatusCode != 201 {
		t.Fatalf("second tag: %d", resp.StatusCode)
	}
	steps := []struct {
		method, path string
		status       int
	}{
		{"DELETE", "/v2/team/app/manifests/2", 202},
		{"GET", "/v2/team/app/manifests/2", 404},
		{"GET", "/v2/team/app/manifests/1", 200},
		{"DELETE", "/v2/team/app/manifests/" + d.String(), 202},
		{"GET", "/v2/team/app/manifests/1", 404},
		{"GET", "/v2/team/app/manifests/" + d.String(), 404},
		{"DELETE", "/v2/team/app/blobs/" + blobtest.Digest(layer).String(), 202},
		{"HEAD", "/v2/team/app/blobs/" + blobtest.Digest(layer).String(), 404},
		{"DELETE", "/v2/team/app/blobs/" + blobtest.Digest(layer).String(), 404},
		{"DELETE", "/v2/team/app/manifests/3", 404},
	}
	for _, s := range steps {
		if resp, body := send(t, s.method, m.url+s.path, nil); resp.StatusCode != s.status {
			t.Fatalf("%s %s: %d %s, want %d", s.method, s.path, resp.StatusCode, body, s.status)
		}
	}
}

func TestHostedTagPages(t *testing.T) {
	_, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	_, body := p.image("team/app", "a")
	for _, tag := range []string{"c", "b"} {
		if resp, _ := send(t, "PUT", m.url+"/v2/team/app/manifests/"+tag, body, "Content-Type", ociManifest); resp.StatusCode != 201 {
			t.Fatalf("tag %s: %d", tag, resp.StatusCode)
		}
	}
	resp, got := get(t, "GET", m.url+"/v2/team/app/tags/list?n=2")
	var list struct{ Tags []string }
	jsonField(t, got, &list)
	if strings.Join(list.Tags, ",") != "a,b" || !strings.Contains(resp.Header.Get("Link"), "last=b") {
		t.Fatalf("first page %v, Link %q; want a,b and a next link after b", list.Tags, resp.Header.Get("Link"))
	}
	resp, got = get(t, "GET", m.url+"/v2/team/app/tags/list?n=2&last=b")
	jsonField(t, got, &list)
	if strings.Join(list.Tags, ",") != "c" || resp.Header.Get("Link") != "" {
		t.Fatalf("second page %v, Link %q; want c and no link", list.Tags, resp.Header.Get("Link"))
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A manifest pushed by its sha512 digest is tagged with ?tag= (the only
// way to tag content named by sha512), and the tag answers with that
// digest.
func TestHostedSha512ManifestWithTagParams(t *testing.T) {
	_, m := startHosted(t, setup{})
	p := pusher{t, m.url}
	config := p.blob("team/app", []byte("{}"))
	body := manifestOf(config, 2, nil)
	d := "sha512:" + sha512Hex(body)
	resp, msg := send(t, "PUT", m.url+"/v2/team/app/manifests/"+d+"?tag=v1&tag=v2", body, "Content-Type", ociManifest)
	if resp.StatusCode != 201 || resp.Header.Get("Docker-Content-Digest") != d || resp.Header.Get("OCI-Tag") != "v1, v2" {
		t.Fatalf("PUT by sha512 with tags: %d digest=%q OCI-Tag=%q %s", resp.StatusCode, resp.Header.Get("Docker-Content-Digest"), resp.Header.Get("OCI-Tag"), msg)
	}
	for _, ref := range []string{"v1", "v2", d} {
		resp, got := get(t, "GET", m.url+"/v2/team/app/manifests/"+ref, "Accept", ociManifest)
		if resp.StatusCode != 200 || string(got) != string(body) || resp.Header.Get("Docker-Content-Digest") != d {
			t.Errorf("GET %s: %d digest=%q", ref, resp.StatusCode, resp.Header.Get("Docker-Content-Digest"))
		}
	}
	if resp, _ := send(t, "DELETE", m.url+"/v2/team/app/manifests/"+d, nil); resp.StatusCode != 202 {
		t.Fatalf("DELETE by sha512: %d", resp.StatusCode)
	}
	if resp, _ := get(t, "GET", m.url+"/v2/team/app/manifests/v1"); resp.StatusCode != 404 {
		t.Errorf("tag of a deleted sha512 manifest: %d, want 404", resp.StatusCode)
	}
}
