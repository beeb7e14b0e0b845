package upstream

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// maxManifestSize bounds what is read of a manifest; the distribution spec
// lets registries refuse larger ones, and real ones are a few KiB.
const maxManifestSize = 4 << 20

// Manifest is a manifest as the registry served it, already verified
// against the digest it was served under.
type Manifest struct {
	Body      []byte
	MediaType string
	Digest    v1.Hash
	// RateLimit holds the registry's ratelimit-limit and
	// ratelimit-remaining headers (Docker Hub's), when it sent them, for
	// the mirror to pass on to the client this fetch was made for.
	RateLimit http.Header
	// Stale says the registry is a mirror that answered from its own
	// expired copy (Warning: 110), its upstream being out of reach.
	Stale bool
}

// Descriptor is what a HEAD tells of a manifest or blob.
type Descriptor struct {
	Digest    v1.Hash
	MediaType string
	Size      int64
	Stale     bool // as Manifest's
}

// Manifest fetches repo's manifest by tag or digest, asking for the media
// types in accept (in the client's order).
func (c *Client) Manifest(ctx context.Context, repo, ref string, accept []string) (*Manifest, error) {
	resp, err := c.do(ctx, http.MethodGet, repo, "/v2/"+repo+"/manifests/"+ref, acceptHeader(accept))
	if err != nil {
		return nil, err
	}
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxManifestSize+1))
	if err != nil {
		return nil, unreachable(err)
	}
	if len(body) > maxManifestSize {
		return nil, fmt.Errorf("%w: %s:%s is over %d bytes", ErrTooLarge, repo, ref, maxManifestSize)
	}
	if isSchema1(resp.Header) {
		return nil, fmt.Errorf("%w: %s:%s", ErrSchema1, repo, ref)
	}
	m, err := verifyManifest(body, resp.Header, ref)
	if err == nil {
		m.RateLimit = rateLimitHeaders(resp.Header)
		m.Stale = isStale(resp.Header)
	}
	return m, err
}

// HeadManifest asks what a tag or digest resolves to without a GET, which
// Docker Hub does not count against its pull limit.
func (c *Client) HeadManifest(ctx context.Context, repo, ref string, accept []string) (Descriptor, error) {
	resp, err := c.do(ctx, http.MethodHead, repo, "/v2/"+repo+"/manifests/"+ref, acceptHeader(accept))
	if err != nil {
		return Descriptor{}, err
	}
	if err := checkResponse(resp, http.StatusOK); err != nil {
		return Descriptor{}, err
	}
	resp.Body.Close()
	d, err := v1.NewHash(resp.Header.Get("Docker-Content-Digest"))
	if err != nil {
		return Descriptor{}, fmt.Errorf("%w: HEAD %s:%s", ErrNoHeadDigest, repo, ref)
	}
	size, _ := strconv.ParseInt(resp.Header.Get("Content-Length"), 10, 64)
	return Descriptor{Digest: d, MediaType: contentType(resp.Header, nil), Size: size, Stale: isStale(resp.Header)}, nil
}

// isStale reads RFC 7234's "110 Response is Stale" warning, which a
// hubmirror (and other caches) sets on an answer it could not revalidate.
func isStale(h http.Header) bool {
	for _, w := range h.Values("Warning") {
		if code, _, _ := strings.Cut(strings.TrimSpace(w), " "); code == "110" {
			return true
		}
	}
	return false
}

// verifyManifest checks the body against the digest upstream claimed, and
// the digest the client asked for when it asked by digest.
func verifyManifest(body []byte, h http.Header, ref string) (*Manifest, error) {
	sum := sha256.Sum256(body)
	got := v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sum)}
	for _, want := range []string{h.Get("Docker-Content-Digest"), digestRef(ref)} {
		if want != "" && want != got.String() {
			return nil, fmt.Errorf("%w: manifest is %s, upstream named %s", ErrDigestMismatch, got, want)
		}
	}
	return &Manifest{Body: body, MediaType: contentType(h, body), Digest: got}, nil
}

func digestRef(ref string) string {
	if strings.Contains(ref, ":") {
		return ref
	}
	return ""
}

// contentType is the manifest's media type: the Content-Type header, or the
// body's own mediaType field when a registry sends a generic type.
func contentType(h http.Header, body []byte) string {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if mt != "" && mt != "application/json" && mt != "text/plain" && mt != "application/octet-stream" {
		return mt
	}
	var probe struct {
		MediaType string `json:"mediaType"`
	}
	if json.NewDecoder(bytes.NewReader(body)).Decode(&probe) == nil && probe.MediaType != "" {
		return probe.MediaType
	}
	return mt
}

func acceptHeader(accept []string) http.Header {
	h := http.Header{}
	for _, a := range accept {
		h.Add("Accept", a)
	}
	return h
}
