package mirror

import (
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The properties below are written out by hand rather than with the
// regexps in names.go: a check that reused the code under test could not
// fail.

// FuzzParseRoute feeds request paths and ?ns= values from anywhere. A path
// must either be refused with a 4xx API error or yield a route whose every
// part is safe to use as a cache key or in an upstream URL.
func FuzzParseRoute(f *testing.F) {
	hex := strings.Repeat("0123456789abcdef", 4)
	for _, seed := range [][2]string{
		{"/v2/", ""},
		{"/v2/library/alpine/manifests/latest", ""},
		{"/v2/alpine/manifests/3.19", "docker.io"},
		{"/v2/owner/tool/manifests/1.0", "ghcr.io"},
		{"/v2/ghcr.io/owner/tool/blobs/sha256:" + hex, ""},
		{"/v2/library/alpine/manifests/sha256:" + hex, "index.docker.io"},
		{"/v2/registry.k8s.io/pause/manifests/3.9", ""},
		{"/v2/coredns/coredns/tags/list", "registry.k8s.io"},
		{"/v2/library/alpine/blobs/uploads/", ""},
		{"/v2/library/alpine/manifests/latest", "evil.example"},
		{"/v2/unknown.host/x/manifests/y", ""},
		{"/v2/../../etc/passwd", ""},
		{"/v2/%2e%2e%2fetc/manifests/x", ""},
		{"/v2/library%2Falpine/manifests/latest", ""},
		{"/v2/Library/Alpine/manifests/latest", ""},
		{"/v2/a__b--c.d/e/blobs/md5:0123456789abcdef0123456789abcdef", ""},
		{"/v2/" + strings.Repeat("a", 250) + "/tags/list", ""},
		{"/v2/library/alpine/referrers/sha256:" + hex, ""},
		{"/v2/ghcr.io/owner/tool/referrers/sha256:" + hex, "ghcr.io"},
		{"/v2/ghcr.io/owner/tool/manifests/1.0", "GHCR.io"},
		{"/v2/index.docker.io/library/alpine/manifests/latest", "docker.io"},
	} {
		f.Add(seed[0], seed[1])
	}
	regs := fuzzRegistries(f)
	f.Fuzz(func(t *testing.T, escapedPath, ns string) {
		rt, err := parseRoute(escapedPath, ns, regs)
		if err != nil {
			assertClientError(t, err)
			return
		}
		switch rt.kind {
		case routeBase:
			if escapedPath != "/v2" && escapedPath != "/v2/" {
				t.Fatalf("%q read as the base endpoint", escapedPath)
			}
		case routeUpload:
			if !strings.Contains(escapedPath, "/blobs/uploads") {
				t.Fatalf("%q read as an upload", escapedPath)
			}
		case routeManifest, routeBlob, routeTags, routeReferrers:
			checkRepoRoute(t, escapedPath, ns, rt, regs)
		default:
			t.Fatalf("%q: unknown route kind %d", escapedPath, rt.kind)
		}
	})
}

// checkRepoRoute checks a route that names a repository.
func checkRepoRoute(t *testing.T, escapedPath, ns string, rt route, regs *registries) {
	t.Helper()
	if strings.Contains(escapedPath, "%") {
		t.Fatalf("%q: an escaped path was accepted", escapedPath)
	}
	if !isRepoName(rt.repo) {
		t.Fatalf("%q: repository %q breaks the name grammar", escapedPath, rt.repo)
	}
	checkRegistry(t, escapedPath, ns, rt, regs)
	switch rt.kind {
	case routeManifest:
		if rt.ref.isDigest() {
			checkDigest(t, rt.ref.digest)
		} else if !isTag(rt.ref.tag) {
			t.Fatalf("%q: tag %q breaks the tag grammar", escapedPath, rt.ref.tag)
		}
		if !strings.HasSuffix(escapedPath, "/manifests/"+rt.ref.String()) {
			t.Fatalf("%q: reference %q is not the one asked for", escapedPath, rt.ref)
		}
	case routeBlob:
		checkDigest(t, rt.digest)
		if !strings.HasSuffix(escapedPath, "/blobs/"+rt.digest.String()) {
			t.Fatalf("%q: digest %s is not the one asked for", escapedPath, rt.digest)
		}
	case routeTags:
		if !strings.HasSuffix(escapedPath, "/tags/list") {
			t.Fatalf("%q read as a tag list", escapedPath)
		}
	case routeReferrers:
		checkDigest(t, rt.digest)
		if !strings.HasSuffix(escapedPath, "/referrers/"+rt.digest.String()) {
			t.Fatalf("%q: subject %s is not the one asked for", escapedPath, rt.digest)
		}
	}
}

// checkRegistry checks that the route goes to a configured registry: the
// one ?ns= names, and the allowlist holds.
func checkRegistry(t *testing.T, escapedPath, ns string, rt route, regs *registries) {
	t.Helper()
	if rt.reg == nil || regs.byHost[rt.reg.Host] != rt.reg {
		t.Fatalf("%q ns=%q: routed to an unconfigured registry %v", escapedPath, ns, rt.reg)
	}
	want := strings.ToLower(ns)
	if want == "index.docker.io" || want == "registry-1.docker.io" {
		want = "docker.io"
	}
	if ns != "" && rt.reg.Host != want {
		t.Fatalf("%q ns=%q: routed to %s", escapedPath, ns, rt.reg.Host)
	}
	if rt.reg.Host == "registry.k8s.io" {
		rest, inCoredns := strings.CutPrefix(rt.repo, "coredns/")
		if rt.repo != "pause" && (!inCoredns || strings.Contains(rest, "/")) {
			t.Fatalf("%q: %s is outside registry.k8s.io's allowlist", escapedPath, rt.repo)
		}
	}
}

// FuzzParseReference checks tags and digests on their own: a reference is
// refused with TAG_INVALID or DIGEST_INVALID, or accepted exactly as sent.
func FuzzParseReference(f *testing.F) {
	hex := strings.Repeat("0123456789abcdef", 4)
	for _, seed := range []string{
		"latest", "3.19", "v1.2.3-rc.1_linux", "_", "sha256:" + hex,
		"sha256:" + strings.ToUpper(hex), "sha256:zzz", "sha512:" + hex + hex,
		"md5:0123456789abcdef0123456789abcdef", "..", "-x", "", ":",
		strings.Repeat("t", 128), strings.Repeat("t", 129),
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if d, err := parseDigest(s); err != nil {
			assertClientError(t, err)
		} else {
			checkDigest(t, d)
		}
		ref, err := parseReference(s)
		if err != nil {
			assertClientError(t, err)
			return
		}
		if ref.String() != s {
			t.Fatalf("%q accepted as %q", s, ref)
		}
		if ref.isDigest() {
			checkDigest(t, ref.digest)
		} else if !isTag(ref.tag) {
			t.Fatalf("tag %q breaks the tag grammar", ref.tag)
		}
	})
}

// fuzzRegistries is a config like a real one. Its upstreams panic if
// called: parsing a route must never reach one.
func fuzzRegistries(f *testing.F) *registries {
	f.Helper()
	regs, err := newRegistries([]Registry{
		{Host: "docker.io", Upstream: noUpstream{}},
		{Host: "ghcr.io", Upstream: noUpstream{}},
		{Host: "registry.k8s.io", Upstream: noUpstream{}, Allow: []string{"pause", "coredns/*"}},
	})
	if err != nil {
		f.Fatal(err)
	}
	return regs
}

// noUpstream is an Upstream whose methods all panic (nil embedded interface).
type noUpstream struct{ Upstream }

// assertClientError checks a refusal is an API error with a 4xx status, so
// the client is told what it did wrong instead of getting a 500.
func assertClientError(t *testing.T, err error) {
	t.Helper()
	var ae *apiError
	if !errors.As(err, &ae) || ae.status < 400 || ae.status > 499 {
		t.Fatalf("refused with %v, want a 4xx API error", err)
	}
}

// checkDigest: only sha256 can be verified, and its hex becomes a file name
// in the cache, so it must be exactly 64 lowercase hex digits.
func checkDigest(t *testing.T, d v1.Hash) {
	t.Helper()
	if d.Algorithm != "sha256" || len(d.Hex) != 64 || strings.Trim(d.Hex, "0123456789abcdef") != "" {
		t.Fatalf("digest %q accepted", d)
	}
}

// isRepoName is the distribution spec's name grammar: at most 255 bytes of
// slash-separated components, each lowercase alphanumeric runs joined by
// ".", "_", "__" or dashes.
func isRepoName(repo string) bool {
	if len(repo) > 255 {
		return false
	}
	for _, c := range strings.Split(repo, "/") {
		if c == "." || c == ".." || !isComponent(c) {
			return false
		}
	}
	return true
}

func isComponent(c string) bool {
	sep := ""
	for i, r := range c {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if sep != "" && sep != "." && sep != "_" && sep != "__" && strings.Trim(sep, "-") != "" {
				return false
			}
			sep = ""
		case (r == '.' || r == '_' || r == '-') && i > 0:
			sep += string(r)
		default:
			return false
		}
	}
	return c != "" && sep == ""
}

// isTag is the spec's tag grammar: 1 to 128 of [A-Za-z0-9_.-], not
// starting with "." or "-".
func isTag(tag string) bool {
	if tag == "" || len(tag) > 128 || tag[0] == '.' || tag[0] == '-' {
		return false
	}
	for _, r := range tag {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}
