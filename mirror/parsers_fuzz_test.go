package mirror

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"path"
	"regexp"
	"strconv"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Fuzz targets for the parsers the write side and paging brought (issues
// 9–13); FuzzParseRange (plan_test.go) covers Range on a miss.

// An upload chunk's Content-Range: what is accepted is a range a chunk can
// have, and reads back the same once written out again.
func FuzzContentRange(f *testing.F) {
	for _, s := range []string{"", "0-0", "0-1023", "bytes 0-1023", "bytes=10-19", "5-4", "5-3", "-1-2", "1-", "-", "a-b", "0-9223372036854775807", " 1-2", "1-2,3-4"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		start, end, ok, err := contentRange(v)
		if ok == (err != nil) && v != "" {
			t.Fatalf("contentRange(%q): ok %v with error %v", v, ok, err)
		}
		if !ok {
			return
		}
		if start < 0 || end < start-1 {
			t.Fatalf("contentRange(%q) = %d-%d: no chunk has it", v, start, end)
		}
		again := strconv.FormatInt(start, 10) + "-" + strconv.FormatInt(end, 10)
		if s2, e2, ok2, _ := contentRange(again); !ok2 || s2 != start || e2 != end {
			t.Fatalf("contentRange(%q) = %d-%d, which reads back as %d-%d %v", v, start, end, s2, e2, ok2)
		}
	})
}

var digestForm = regexp.MustCompile(`^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$`)

// A pushed manifest, by tag or by its digest: what is accepted has a media
// type the mirror serves, the digest of its body, tags that are tags, and
// references that are well-formed digests.
func FuzzParseManifestPush(f *testing.F) {
	layer := "sha256:" + strings.Repeat("ab", 32)
	image := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"` + layer + `","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"` + layer + `","size":3}]}`
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + layer + `","size":10}]}`
	referrer := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","artifactType":"a/b","config":{"mediaType":"application/vnd.oci.empty.v1+json","digest":"` + layer + `","size":2},"layers":[],"subject":{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"` + layer + `","size":5}}`
	for _, body := range []string{image, index, referrer, `{}`, `{"schemaVersion":1}`, `[]`, `{"schemaVersion":2,"layers":[{"digest":"sha512:00"}]}`} {
		for _, ct := range []string{"", "application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json; charset=utf-8", "text/plain"} {
			f.Add(ct, []byte(body), false, "v1")
			f.Add(ct, []byte(body), true, "v1")
		}
	}
	f.Fuzz(func(t *testing.T, contentType string, body []byte, byDigest bool, tag string) {
		rt := route{repo: "team/app", hosted: true, ref: reference{tag: "v1"}}
		sum := sha256.Sum256(body)
		own := v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(sum[:])}
		if byDigest {
			rt.ref = reference{digest: own}
		}
		p, err := parseManifestPush(rt, contentType, []string{tag}, body)
		if err != nil {
			return
		}
		if _, ok := pushableTypes[p.MediaType]; !ok || p.Digest != own {
			t.Fatalf("accepted as %q under %s; body is %s", p.MediaType, p.Digest, own)
		}
		for _, tg := range p.Tags {
			if _, err := parseReference(tg); err != nil || strings.Contains(tg, ":") {
				t.Fatalf("accepted tag %q", tg)
			}
		}
		for _, d := range append(append([]v1.Hash{}, p.Blobs...), p.Children...) {
			if !digestForm.MatchString(d.String()) {
				t.Fatalf("accepted reference %q", d)
			}
		}
	})
}

// The Link a tags page sends on names the mirror's own path with the
// paging query, nothing that could end the header or point elsewhere.
func FuzzNextPageLink(f *testing.F) {
	for _, s := range []string{"n=2&last=v1", "last=a%3Eb", "n=1&last=%0d%0aSet-Cookie:x", "", "last=%ZZ", "n=&n=3"} {
		f.Add("library/alpine", s, "")
		f.Add("ghcr.io/org/tool", s, "quay.io")
	}
	f.Fuzz(func(t *testing.T, repo, rawQuery, ns string) {
		u := &url.URL{Path: "/v2/" + repo + "/tags/list"}
		if ns != "" {
			u.RawQuery = url.Values{"ns": {ns}}.Encode()
		}
		next, err := url.ParseQuery(rawQuery)
		if err != nil {
			return
		}
		link := nextPageLink(httptest.NewRequest("GET", u.String(), nil), next)
		target, ok := strings.CutPrefix(link, "<")
		target, ok2 := strings.CutSuffix(target, `>; rel="next"`)
		if !ok || !ok2 || strings.ContainsAny(target, "<>\r\n\" ") {
			t.Fatalf("Link %q is not one safe next link", link)
		}
		got, err := url.Parse(target)
		if err != nil || got.Host != "" || got.Scheme != "" || got.Path != path.Clean(u.Path) && got.Path != u.Path {
			t.Fatalf("Link %q leaves the mirror's path %s: %v", link, u.Path, err)
		}
		if q := got.Query(); q.Get("last") != next.Get("last") || (ns != "" && q.Get("ns") != ns) {
			t.Fatalf("Link %q carries %v, want last=%q ns=%q", link, q, next.Get("last"), ns)
		}
	})
}

// The tags page size a client asks for.
func FuzzTagPageSize(f *testing.F) {
	for _, s := range []string{"", "0", "1", "100", "-1", "abc", "99999999999999999999"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, v string, all int) {
		if all < 0 {
			return
		}
		n, err := tagPageSize(v, all)
		if err == nil && n < 0 {
			t.Fatalf("tagPageSize(%q, %d) = %d", v, all, n)
		}
	})
}

// --hosted patterns and the names they catch: only names meant for
// Docker Hub are hosted, and a literal pattern catches its own name.
func FuzzHostedPatterns(f *testing.F) {
	for _, p := range []string{"team/*", "library/alpine", "[", "*", "a/[b-", "team/\\*"} {
		f.Add(p, "", "team/app")
		f.Add(p, "ghcr.io", "team/app")
		f.Add(p, "docker.io", p)
	}
	f.Fuzz(func(t *testing.T, pattern, ns, name string) {
		hp := hostedPatterns{pattern}
		repo, got := hp.match(ns, name)
		hub := map[string]bool{"": true, "docker.io": true, "index.docker.io": true, "registry-1.docker.io": true}[strings.ToLower(ns)]
		if got && !hub {
			t.Fatalf("%q hosted %s for registry %q", pattern, name, ns)
		}
		if ok, err := path.Match(pattern, name); err == nil && ok && hub && !got {
			t.Fatalf("%q matches %q but it is not hosted", pattern, name)
		}
		// A one-word Docker Hub name is library/<name>: either spelling
		// may be the one the pattern names, and that one is the repository.
		if got && repo != name && repo != "library/"+name && "library/"+repo != name {
			t.Fatalf("%q on %q: hosted as %q, another repository", pattern, name, repo)
		}
		if ok, _ := path.Match(pattern, repo); got && !ok {
			t.Fatalf("%q on %q: hosted as %q, which the pattern does not match", pattern, name, repo)
		}
		if hub && !got && !strings.ContainsAny(pattern, `*?[\`) && pattern == name {
			t.Fatalf("literal pattern %q does not catch its own name", pattern)
		}
	})
}

// Digests of hosted content: sha256 or sha512, hex, of the right length.
func FuzzParseHostedDigest(f *testing.F) {
	for _, s := range []string{"sha256:" + strings.Repeat("a", 64), "sha512:" + strings.Repeat("0", 128), "sha512:" + strings.Repeat("0", 127), "sha384:00", "sha256:ABC", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseHostedDigest(s)
		if err == nil && (!digestForm.MatchString(d.String()) || d.String() != s) {
			t.Fatalf("parseHostedDigest(%q) = %s", s, d)
		}
	})
}
