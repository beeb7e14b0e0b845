package e2e

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// assertPulled checks that dockerd holds ref as exactly the pushed image:
// its RepoDigests name the pushed manifest and its ID is the pushed config.
func assertPulled(t *testing.T, d *dockerd, ref string, manifestDigest, configDigest v1.Hash) {
	t.Helper()
	want := familiarRepo(t, ref) + "@" + manifestDigest.String()
	if digests := d.RepoDigests(t, ref); !slices.Contains(digests, want) {
		t.Errorf("RepoDigests of %s = %q, want it to contain %q", ref, digests, want)
	}
	if got := d.ImageID(t, ref); got != configDigest.String() {
		t.Errorf("ImageID of %s = %q, want %q", ref, got, configDigest)
	}
}

// familiarRepo is the repository as docker prints it in RepoDigests:
// "alpine" for docker.io/library/alpine, "user/app" for docker.io/user/app,
// and the full name for other registries.
func familiarRepo(t *testing.T, ref string) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatalf("parse %s: %v", ref, err)
	}
	repo := r.Context()
	if repo.RegistryStr() != name.DefaultRegistry {
		return repo.Name()
	}
	return strings.TrimPrefix(repo.RepositoryStr(), "library/")
}
