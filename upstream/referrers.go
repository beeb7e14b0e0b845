package upstream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// ErrNoReferrersAPI says the registry does not implement the OCI 1.1
// referrers API: it answered 404 for the endpoint rather than an index.
// Clients then read the sha256-<hex> tag that older tools push instead.
var ErrNoReferrersAPI = errors.New("upstream has no referrers API")

// ErrMalformedReferrers says the registry answered the referrers API with
// something that is not an image index.
var ErrMalformedReferrers = errors.New("upstream referrers answer is not an image index")

// maxReferrerPages bounds how many Link pages one answer may span, so a
// registry paging in circles cannot hold the mirror.
const maxReferrerPages = 16

// ReferrersIndex is a referrers answer, every page of it as one index.
type ReferrersIndex struct {
	Index *v1.IndexManifest
	// Stale says the registry is a mirror that answered some page from
	// its own expired copy (Warning: 110), its upstream being out of reach.
	Stale bool
}

// Referrers fetches every manifest upstream lists as referring to subject
// in repo, unfiltered, as one index: the mirror caches one answer per
// subject and filters by artifactType itself, and a registry that pages
// its answer is followed to the end.
func (c *Client) Referrers(ctx context.Context, repo string, subject v1.Hash) (*ReferrersIndex, error) {
	all := &ReferrersIndex{Index: &v1.IndexManifest{SchemaVersion: 2, MediaType: types.OCIImageIndex, Manifests: []v1.Descriptor{}}}
	u := c.url("/v2/"+repo+"/referrers/"+subject.String(), nil)
	for range maxReferrerPages {
		page, next, stale, err := c.referrersPage(ctx, repo, u)
		if err != nil {
			return nil, err
		}
		all.Index.Manifests = append(all.Index.Manifests, page.Manifests...)
		all.Stale = all.Stale || stale
		if next == nil {
			return all, nil
		}
		u = next
	}
	return nil, fmt.Errorf("%w: referrers of %s@%s span more than %d pages", ErrTooLarge, repo, subject, maxReferrerPages)
}

func (c *Client) referrersPage(ctx context.Context, repo string, u *url.URL) (page *v1.IndexManifest, next *url.URL, stale bool, err error) {
	hdr := acceptHeader([]string{string(types.OCIImageIndex)})
	resp, err := c.withRetry(ctx, func() (*http.Response, error) {
		return c.doOnce(ctx, http.MethodGet, repo, u, hdr)
	})
	if err != nil {
		return nil, nil, false, err
	}
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return nil, nil, false, noReferrersAPI(err)
	}
	defer resp.Body.Close()
	page = &v1.IndexManifest{}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxManifestSize)).Decode(page); err != nil {
		return nil, nil, false, fmt.Errorf("%w: %s: %v", ErrMalformedReferrers, repo, err)
	}
	next, err = c.sameRegistry(u, nextLink(resp.Header))
	return page, next, isStale(resp.Header), err
}

// noReferrersAPI tells a registry without the endpoint (404, and no
// NAME_UNKNOWN: the repository itself is there) from any other failure.
func noReferrersAPI(err error) error {
	var se *StatusError
	if errors.As(err, &se) && se.StatusCode == http.StatusNotFound && !se.HasCode("NAME_UNKNOWN") {
		return fmt.Errorf("%w: %v", ErrNoReferrersAPI, err)
	}
	return err
}

// sameRegistry resolves a Link target against the page it came from; the
// next page gets the registry's token, so it must be on the registry.
func (c *Client) sameRegistry(from *url.URL, link string) (*url.URL, error) {
	if link == "" {
		return nil, nil
	}
	next, err := from.Parse(link)
	if err != nil || next.Host != c.base.Host || next.Scheme != c.base.Scheme {
		return nil, fmt.Errorf("%w: referrers page at %q", ErrRefusedHost, link)
	}
	return c.linkWithNS(next), nil
}
