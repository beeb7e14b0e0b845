package upstreamtest

import (
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// SortedDigests is ds as sorted strings, the form tests compare a
// referrers listing (which promises no order) against.
func SortedDigests(ds ...v1.Hash) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.String())
	}
	slices.Sort(out)
	return out
}
