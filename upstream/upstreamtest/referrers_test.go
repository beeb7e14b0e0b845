package upstreamtest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

const (
	sbomType = "application/spdx+json"
	sigType  = "application/vnd.dev.cosign.artifact.sig.v1+json"
)

func TestReferrersAPI(t *testing.T) {
	h := New(t, Options{})
	subject := h.AddImage("someuser/app", "v1", SmallImage(t))
	sbom := h.AddReferrer("someuser/app", subject, sbomType)
	sig := h.AddReferrer("someuser/app", subject, sigType)
	auth := bearer(token(t, h, "someuser/app", "", ""))
	base := h.URL + "/v2/someuser/app/referrers/" + subject.String()

	r := do(t, http.MethodGet, base, auth)
	idx := decodeIndex(t, r)
	if got := digests(idx); !slices.Equal(got, SortedDigests(sbom, sig)) || r.header.Get("OCI-Filters-Applied") != "" {
		t.Fatalf("referrers %v (filters %q), want %v", got, r.header.Get("OCI-Filters-Applied"), SortedDigests(sbom, sig))
	}
	for _, d := range idx.Manifests {
		if d.ArtifactType == "" || d.Annotations["org.opencontainers.image.created"] == "" || d.Size == 0 {
			t.Errorf("descriptor %+v lacks artifactType, annotations or size", d)
		}
	}
	r = do(t, http.MethodGet, base+"?artifactType="+url.QueryEscape(sbomType), auth)
	if got := digests(decodeIndex(t, r)); !slices.Equal(got, []string{sbom.String()}) || r.header.Get("OCI-Filters-Applied") != "artifactType" {
		t.Errorf("filtered %v, filters %q", got, r.header.Get("OCI-Filters-Applied"))
	}
	// A digest nothing refers to is an empty index, never a 404.
	other := h.AddImage("someuser/app", "", SmallImage(t))
	if got := decodeIndex(t, do(t, http.MethodGet, h.URL+"/v2/someuser/app/referrers/"+other.String(), auth)); len(got.Manifests) != 0 {
		t.Errorf("unreferenced subject lists %v", got.Manifests)
	}
	if n := h.Counts().Referrers; n != 3 {
		t.Errorf("Referrers count %d, want 3", n)
	}
}

func TestReferrersPagedAndOff(t *testing.T) {
	h := New(t, Options{})
	subject := h.AddImage("someuser/app", "v1", SmallImage(t))
	want := SortedDigests(h.AddReferrer("someuser/app", subject, sbomType), h.AddReferrer("someuser/app", subject, sigType), h.AddReferrer("someuser/app", subject, sigType))
	auth := bearer(token(t, h, "someuser/app", "", ""))
	h.SetReferrersPageSize(2)
	var got []string
	next := "/v2/someuser/app/referrers/" + subject.String()
	for range 4 { // bounded: two pages expected
		r := do(t, http.MethodGet, h.URL+next, auth)
		got = append(got, digests(decodeIndex(t, r))...)
		link := r.header.Get("Link")
		if link == "" {
			break
		}
		next = strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`)
	}
	if !slices.Equal(got, want) {
		t.Errorf("paged %v, want %v", got, want)
	}

	h.SetReferrersAPI(false)
	if r := do(t, http.MethodGet, h.URL+"/v2/someuser/app/referrers/"+subject.String(), auth); r.status != http.StatusNotFound {
		t.Errorf("API off: %d, want 404", r.status)
	}
	tagged := h.PushReferrersTag("someuser/app", subject)
	r := do(t, http.MethodGet, h.URL+"/v2/someuser/app/manifests/sha256-"+subject.Hex, http.Header{"Authorization": auth["Authorization"], "Accept": {"application/vnd.oci.image.index.v1+json"}})
	if r.header.Get("Docker-Content-Digest") != tagged.String() || !slices.Equal(digests(decodeIndex(t, r)), want) {
		t.Errorf("referrers tag: %d %s", r.status, r.body)
	}
}

func decodeIndex(t *testing.T, r reply) v1.IndexManifest {
	t.Helper()
	var idx v1.IndexManifest
	if r.status != http.StatusOK || json.Unmarshal(r.body, &idx) != nil || idx.MediaType != "application/vnd.oci.image.index.v1+json" {
		t.Fatalf("not an index: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/vnd.oci.image.index.v1+json" {
		t.Errorf("Content-Type %q", ct)
	}
	return idx
}

func digests(idx v1.IndexManifest) []string {
	out := []string{}
	for _, d := range idx.Manifests {
		out = append(out, d.Digest.String())
	}
	return out
}
