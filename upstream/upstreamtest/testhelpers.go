package upstreamtest

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// The one-line setups every test package needs, written once.

// SmallImage is a one-layer linux/amd64 image of about 1 KiB.
func SmallImage(tb testing.TB) v1.Image {
	tb.Helper()
	img, err := Image(1, 1024, false)
	if err != nil {
		tb.Fatal(err)
	}
	return img
}

// MustSeedStandard seeds the standard images (SeedStandard) and returns
// them by repository.
func (h *Hub) MustSeedStandard(tb testing.TB) map[string]Seeded {
	tb.Helper()
	all, err := h.SeedStandard()
	if err != nil {
		tb.Fatal(err)
	}
	return byRepo(all)
}

// byRepo indexes seeded images by repository.
func byRepo(seeded []Seeded) map[string]Seeded {
	out := make(map[string]Seeded, len(seeded))
	for _, s := range seeded {
		out[s.Repo] = s
	}
	return out
}

// AddTestBlob stores size bytes as a blob of repo. The bytes start with
// the test's name, so no two tests share a digest (and so a cache entry).
func (h *Hub) AddTestBlob(tb testing.TB, repo string, size int) ([]byte, v1.Hash) {
	tb.Helper()
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(i*7 + i/4096)
	}
	copy(b, strings.Repeat(tb.Name(), 4))
	return b, h.AddBlob(repo, b)
}
