package prefetch

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"sync/atomic"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// maxIndexDepth bounds indexes nested in indexes; real images use one level.
const maxIndexDepth = 4

// prefetcher talks to one mirror as a registry client would.
type prefetcher struct {
	mirror   *url.URL
	platform *v1.Platform // nil: every platform
	jobs     int
	puller   *remote.Puller // one token and connection pool per repository
}

func newPrefetcher(o Options) (*prefetcher, error) {
	u, err := url.Parse(o.Mirror)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("--mirror %q: want http://host:port or https://host:port", o.Mirror)
	}
	p := &prefetcher{mirror: u, jobs: max(o.Jobs, 1)}
	if o.Platform != "" {
		if p.platform, err = v1.ParsePlatform(o.Platform); err != nil {
			return nil, fmt.Errorf("--platform: %w", err)
		}
	}
	// The keychain holds what `docker login mirror.lan:5000` stored, for a
	// mirror behind --htpasswd.
	p.puller, err = remote.NewPuller(remote.WithAuthFromKeychain(authn.DefaultKeychain), remote.WithUserAgent(o.UserAgent))
	return p, err
}

// imagePlan is what one image needs fetched.
type imagePlan struct {
	ref       string // as the user wrote it
	platforms int    // image manifests chosen
	blobs     []blobRef
	bytes     int64
	failed    atomic.Int32 // blobs that could not be fetched
}

// blobRef is one blob to fetch through the mirror.
type blobRef struct {
	plan   *imagePlan
	digest name.Digest
	size   int64
}

// mirrorRef rewrites a reference as docker takes it into the mirror's
// form: Docker Hub names go straight under the mirror (alpine →
// mirror/library/alpine:latest), other registries under their name as a
// path prefix (ghcr.io/o/t:1 → mirror/ghcr.io/o/t:1).
func (p *prefetcher) mirrorRef(s string) (name.Reference, error) {
	r, err := name.ParseReference(s)
	if err != nil {
		return nil, err
	}
	path := r.Context().RepositoryStr()
	if reg := r.Context().RegistryStr(); reg != name.DefaultRegistry {
		path = reg + "/" + path
	}
	var opts []name.Option
	if p.mirror.Scheme == "http" {
		opts = append(opts, name.Insecure)
	}
	sep := ":"
	if _, ok := r.(name.Digest); ok {
		sep = "@"
	}
	return name.ParseReference(p.mirror.Host+"/"+path+sep+r.Identifier(), append(opts, name.StrictValidation)...)
}

// plan resolves ref through the mirror, which caches every manifest read
// on the way, and lists the blobs of the chosen platforms.
func (p *prefetcher) plan(ctx context.Context, ref string) (*imagePlan, error) {
	r, err := p.mirrorRef(ref)
	if err != nil {
		return nil, err
	}
	plan := &imagePlan{ref: ref}
	return plan, p.walk(ctx, plan, r, 0)
}

func (p *prefetcher) walk(ctx context.Context, plan *imagePlan, r name.Reference, depth int) error {
	desc, err := p.puller.Get(ctx, r)
	if err != nil {
		return err
	}
	switch {
	case desc.MediaType.IsIndex() && depth < maxIndexDepth:
		return p.walkIndex(ctx, plan, r.Context(), desc.Manifest, depth)
	case desc.MediaType.IsImage():
		return p.addImage(plan, r.Context(), desc.Manifest)
	}
	return fmt.Errorf("%s: unsupported manifest type %s", r, desc.MediaType)
}

func (p *prefetcher) walkIndex(ctx context.Context, plan *imagePlan, repo name.Repository, raw []byte, depth int) error {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	for _, m := range idx.Manifests {
		if !m.MediaType.IsIndex() && !m.MediaType.IsImage() || !p.wants(m.Platform) {
			continue
		}
		if err := p.walk(ctx, plan, repo.Digest(m.Digest.String()), depth+1); err != nil {
			return err
		}
	}
	if plan.platforms == 0 {
		return fmt.Errorf("no image for platform %s", p.platform)
	}
	return nil
}

// wants says whether a manifest of an index is for a chosen platform.
// Entries without a platform (nested indexes) are walked into.
func (p *prefetcher) wants(pl *v1.Platform) bool {
	return p.platform == nil || pl == nil || pl.Satisfies(*p.platform)
}

// addImage lists an image's config and layers. Foreign layers are not in
// any registry, so not in the mirror either.
func (p *prefetcher) addImage(plan *imagePlan, repo name.Repository, raw []byte) error {
	m, err := v1.ParseManifest(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	plan.platforms++
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		if !d.MediaType.IsDistributable() {
			continue
		}
		plan.blobs = append(plan.blobs, blobRef{plan: plan, digest: repo.Digest(d.Digest.String()), size: d.Size})
		plan.bytes += d.Size
	}
	return nil
}
