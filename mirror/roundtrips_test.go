package mirror_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// pullJobs is how many blobs the test's client fetches at once, as
// go-containerregistry (4) and dockerd (3) do.
const pullJobs = 4

// On a far link every round trip counts: a cold pull of a 40-layer image
// through the mirror must cost upstream one ping, one token for the
// repository's scope, a connection per concurrent download (kept alive and
// reused, never one per request), and a GET per blob with no HEAD before it.
func TestColdPullRoundTrips(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	img, err := upstreamtest.Image(40, 2048, false)
	if err != nil {
		t.Fatal(err)
	}
	hub.AddImage("library/many", "latest", img)
	m := startMirror(t, hub, setup{})
	hub.Reset()
	hub.SetRTT(25 * time.Millisecond)

	blobs := pullThrough(t, m, "library/many", "latest")
	if len(blobs) != 41 {
		t.Fatalf("pulled %d blobs, want config + 40 layers", len(blobs))
	}
	c := hub.Counts()
	t.Logf("cold pull of 41 blobs, %d at a time, 25 ms RTT: %+v", pullJobs, c)
	if c.Pings != 1 || c.Tokens != 1 {
		t.Errorf("pings %d, tokens %d; want 1 and 1", c.Pings, c.Tokens)
	}
	if reqs := hub.TokenRequests(); len(reqs) != 1 || !slices.Equal(reqs[0].Scopes, []string{"repository:library/many:pull"}) {
		t.Errorf("token requests %+v, want one for library/many's pull scope", reqs)
	}
	if c.ManifestHeads != 0 || c.BlobHeads != 0 || c.ManifestGets != 1 || c.BlobGets != 41 || c.CDNGets != 41 {
		t.Errorf("requests: %+v; want 1 manifest GET, 41 blob GETs, 41 CDN GETs, no HEAD", c)
	}
	// One connection per concurrent download, plus one for the ping and
	// manifest that precede them; every other request reuses one.
	if c.RegistryConns > pullJobs+1 || c.CDNConns > pullJobs || c.TokenConns != 1 {
		t.Errorf("connections: registry %d (want ≤ %d), CDN %d (want ≤ %d), token %d (want 1)",
			c.RegistryConns, pullJobs+1, c.CDNConns, pullJobs, c.TokenConns)
	}

	// The same pull straight from the hub, by go-containerregistry with the
	// same concurrency, is the reference: the mirror must not cost the far
	// link more round trips than a client standing there itself.
	hub.Reset()
	pullDirect(t, hub.Host()+"/library/many:latest")
	direct := hub.Counts()
	t.Logf("the same pull straight from the hub: %+v", direct)
	// Whether one of four concurrent fetches waits for a connection about
	// to be freed or dials a new one (and that one is used later) is a
	// race inside net/http's Transport, on both sides: under load the
	// mirror lost it once in 2 of 3 runs (95 round trips against 94),
	// within the connection bounds above. One handshake more is that race;
	// a HEAD per blob, a token per blob or a connection per request would
	// each be 41 more.
	if c.RoundTrips > direct.RoundTrips+1 {
		t.Errorf("through the mirror the pull cost %d round trips, straight from the hub %d", c.RoundTrips, direct.RoundTrips)
	}
}

// pullDirect pulls ref with go-containerregistry, pullJobs blobs at a time.
func pullDirect(t *testing.T, ref string) {
	t.Helper()
	r, err := name.ParseReference(ref, name.Insecure)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, remote.WithTransport(&http.Transport{}))
	if err != nil {
		t.Fatal(err)
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := img.RawConfigFile(); err != nil {
		t.Fatal(err)
	}
	var g errgroup.Group
	g.SetLimit(pullJobs)
	for _, l := range layers {
		g.Go(func() error {
			rc, err := l.Compressed()
			if err != nil {
				return err
			}
			defer rc.Close()
			_, _, err = v1.SHA256(rc)
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
}

// pullThrough pulls repo:tag from the mirror as a registry client does: the
// manifest, then every blob, pullJobs at a time, each checked against its
// digest. It returns the blobs' digests.
func pullThrough(t *testing.T, mirror, repo, tag string) []v1.Hash {
	t.Helper()
	resp, body := get(t, http.MethodGet, mirror+"/v2/"+repo+"/manifests/"+tag, "Accept", dockerManifest)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("manifest: %d %s", resp.StatusCode, body)
	}
	mf, err := v1.ParseManifest(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	blobs := []v1.Hash{mf.Config.Digest}
	for _, l := range mf.Layers {
		blobs = append(blobs, l.Digest)
	}
	var g errgroup.Group
	g.SetLimit(pullJobs)
	for _, d := range blobs {
		g.Go(func() error { return fetchVerified(mirror+"/v2/"+repo+"/blobs/"+d.String(), d) })
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return blobs
}

func fetchVerified(url string, d v1.Hash) error {
	resp, err := http.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, _, err := v1.SHA256(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || got != d {
		return fmt.Errorf("GET %s: %d, digest %s, %v", d, resp.StatusCode, got, err)
	}
	return nil
}
