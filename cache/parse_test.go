package cache

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func TestParseSize(t *testing.T) {
	good := map[string]int64{
		"0": 0, "1048576": 1 << 20, "50GiB": 50 << 30, "500MB": 500e6, "1.5G": 1.5e9,
		"2gib": 2 << 30, " 10 KiB ": 10 << 10, "1TB": 1e12,
	}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "GiB", "10 parsecs", "99999999999EiB"} {
		if got, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) = %d, want an error", in, got)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "50GiB", "1.5G", "12,345 kB", "-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := ParseSize(s); err == nil && n < 0 {
			t.Errorf("ParseSize(%q) = %d", s, n)
		}
	})
}

func TestParsePin(t *testing.T) {
	cases := map[string]string{
		"alpine":                          "docker.io/library/alpine:latest",
		"alpine:3.20":                     "docker.io/library/alpine:3.20",
		"docker.io/library/alpine:3.20":   "docker.io/library/alpine:3.20",
		"docker.io/alpine:3.20":           "docker.io/library/alpine:3.20",
		"bitnami/redis:7":                 "docker.io/bitnami/redis:7",
		"ghcr.io/org/app:v1":              "ghcr.io/org/app:v1",
		"localhost:5000/team/tool":        "localhost:5000/team/tool:latest",
		"alpine@sha256:" + sixtyFourHex(): "docker.io/library/alpine@sha256:" + sixtyFourHex(),
	}
	for in, want := range cases {
		p, err := parsePin(in)
		if err != nil || p.String() != want {
			t.Errorf("parsePin(%q) = %s, %v; want %s", in, p, err, want)
		}
	}
	for _, in := range []string{"", "UPPER/case", "alpine:bad tag", "a@sha256:12"} {
		if p, err := parsePin(in); err == nil {
			t.Errorf("parsePin(%q) = %s, want an error", in, p)
		}
	}
}

func FuzzParsePin(f *testing.F) {
	for _, s := range []string{"alpine", "ghcr.io/a/b:c", "x@sha256:" + sixtyFourHex(), "::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := parsePin(s)
		if err == nil && (p.Upstream == "" || p.Repo == "" || (p.Tag == "") == (p.Digest.Hex == "")) {
			t.Errorf("parsePin(%q) = %+v", s, p)
		}
	})
}

func sixtyFourHex() string { return "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" }

func TestReadPinFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "pins")
	os.WriteFile(path, []byte("# base images\nalpine:3.20\n\n  ghcr.io/org/app:v1   # the app\n#gone:1\n"), 0o644)
	got, err := ReadPinFile(path)
	if err != nil || !slices.Equal(got, []string{"alpine:3.20", "ghcr.io/org/app:v1"}) {
		t.Errorf("ReadPinFile = %q, %v", got, err)
	}
}

func TestMetaRoundTrip(t *testing.T) {
	at := time.Unix(1700000000, 123456789).UTC()
	for _, mt := range []string{"", "application/vnd.oci.image.manifest.v1+json", "application/x-custom"} {
		in := Meta{Size: 123456789, MediaType: mt, Created: at, LastAccess: at.Add(time.Hour)}
		out, err := decodeMeta(encodeMeta(in))
		if err != nil || out != in {
			t.Errorf("round trip of %+v = %+v, %v", in, out, err)
		}
	}
}

func FuzzDecodeMeta(f *testing.F) {
	f.Add(encodeMeta(Meta{Size: 10, MediaType: "x"}))
	f.Add(encodeMeta(Meta{Size: 1 << 40, MediaType: "application/vnd.oci.image.index.v1+json"}))
	f.Add([]byte{1, 0xff})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := decodeMeta(b)
		if err != nil {
			return
		}
		if m.Size < 0 {
			t.Errorf("negative size from %x", b)
		}
		again, err := decodeMeta(encodeMeta(m))
		if err != nil || again != m {
			t.Errorf("re-encoding %+v gave %+v, %v", m, again, err)
		}
	})
}
