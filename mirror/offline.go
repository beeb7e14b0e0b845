package mirror

import (
	"context"
	"io"
	"net/url"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/upstream"
)

// offline stands in for the upstream in --offline mode: every question
// fails as an unreachable upstream would, so the usual stale paths serve
// what the cache has and misses get 503 UNAVAILABLE.
type offline struct{}

func offlineRegistries(list []Registry) []Registry {
	out := make([]Registry, len(list))
	for i, r := range list {
		r.Upstream = offline{}
		out[i] = r
	}
	return out
}

var errOffline = apiErr(errUnavailable, "offline mode: not in the cache")

func (offline) Manifest(context.Context, string, string, []string) (*upstream.Manifest, error) {
	return nil, errOffline
}

func (offline) HeadManifest(context.Context, string, string, []string) (upstream.Descriptor, error) {
	return upstream.Descriptor{}, errOffline
}

func (offline) Blob(context.Context, string, v1.Hash) (io.ReadCloser, int64, error) {
	return nil, 0, errOffline
}

func (offline) BlobSize(context.Context, string, v1.Hash) (int64, error) { return 0, errOffline }

func (offline) Tags(context.Context, string, url.Values) (*upstream.TagList, error) {
	return nil, errOffline
}

func (offline) Referrers(context.Context, string, v1.Hash) (*upstream.ReferrersIndex, error) {
	return nil, errOffline
}
