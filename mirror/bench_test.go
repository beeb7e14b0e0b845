package mirror

// Micro-benchmarks of the mirror's hot paths (issue 7). CI runs them once
// (-benchtime=1x) so they keep compiling and working; bench/run.sh runs
// them properly and puts the figures in bench/RESULTS.md.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream"
)

// benchUpstream serves one blob from memory and nothing else; a warm path
// that reaches it for anything else is a bug the benchmark reports.
type benchUpstream struct {
	blob []byte
}

var errBenchUpstream = errors.New("benchmark upstream: unexpected call")

func (u *benchUpstream) Manifest(context.Context, string, string, []string) (*upstream.Manifest, error) {
	return nil, errBenchUpstream
}

func (u *benchUpstream) HeadManifest(context.Context, string, string, []string) (upstream.Descriptor, error) {
	return upstream.Descriptor{}, errBenchUpstream
}

func (u *benchUpstream) Blob(context.Context, string, v1.Hash) (io.ReadCloser, int64, error) {
	return io.NopCloser(bytes.NewReader(u.blob)), int64(len(u.blob)), nil
}

func (u *benchUpstream) BlobSize(context.Context, string, v1.Hash) (int64, error) {
	return int64(len(u.blob)), nil
}

func (u *benchUpstream) Tags(context.Context, string, url.Values) (*upstream.TagList, error) {
	return nil, errBenchUpstream
}

func (u *benchUpstream) Referrers(context.Context, string, v1.Hash) (*upstream.ReferrersIndex, error) {
	return nil, errBenchUpstream
}

func benchRegistries(b *testing.B, up Upstream) *registries {
	b.Helper()
	regs, err := newRegistries([]Registry{{Host: dockerHub, Upstream: up}, {Host: "ghcr.io", Upstream: up}})
	if err != nil {
		b.Fatal(err)
	}
	return regs
}

// BenchmarkParseRoute parses the three paths a pull sends most: a manifest
// by tag with the library/ shorthand, a blob by digest, and a ghcr.io
// manifest named by path prefix.
func BenchmarkParseRoute(b *testing.B) {
	regs := benchRegistries(b, &benchUpstream{})
	digest := "sha256:" + strings.Repeat("0123456789abcdef", 4)
	paths := []string{
		"/v2/alpine/manifests/3.19",
		"/v2/library/alpine/blobs/" + digest,
		"/v2/ghcr.io/owner/tool/manifests/v1.2.3",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if _, err := parseRoute(paths[i%len(paths)], "", regs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWarmManifestByTag is a cached, fresh tag served through the
// whole handler (access log, metrics, routing, tag lookup, manifest
// read): the request docker sends first on every pull.
func BenchmarkWarmManifestByTag(b *testing.B) {
	benchWarmManifest(b, http.MethodGet, "/v2/library/alpine/manifests/latest")
}

// BenchmarkWarmManifestHeadByTag is what containerd and crane send first.
func BenchmarkWarmManifestHeadByTag(b *testing.B) {
	benchWarmManifest(b, http.MethodHead, "/v2/library/alpine/manifests/latest")
}

// BenchmarkWarmManifestByDigest is what every client sends once it knows
// the digest.
func BenchmarkWarmManifestByDigest(b *testing.B) {
	benchWarmManifest(b, http.MethodGet, "/v2/library/alpine/manifests/"+warmManifestDigest.String())
}

func benchWarmManifest(b *testing.B, method, path string) {
	h := warmTagHandler(b)
	req := httptest.NewRequest(method, path, nil)
	req.Header.Set("Accept", strings.Join(defaultAccept, ", "))
	b.ReportAllocs()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("status %d: %s", w.Code, w.Body)
		}
	}
}

var (
	warmManifestBody   = []byte(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[]}`)
	warmManifestDigest = blobtest.Digest(warmManifestBody)
)

// warmTagHandler is a mirror whose cache already holds library/alpine:latest.
func warmTagHandler(b testing.TB) http.Handler {
	b.Helper()
	store, err := cache.OpenWithOptions(b.TempDir(), cache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	d := warmManifestDigest
	if err := store.Put(d, defaultAccept[0], warmManifestBody); err != nil {
		b.Fatal(err)
	}
	t := cache.Tag{Digest: d, MediaType: defaultAccept[0], FetchedAt: time.Now().UTC()}
	if err := store.SetTag(dockerHub, "library/alpine", "latest", t); err != nil {
		b.Fatal(err)
	}
	m, err := New(Options{Store: store, Registries: []Registry{{Host: dockerHub, Upstream: &benchUpstream{}}}, TagTTL: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	return m.Handler()
}

// fanoutReaders is how many clients follow each fill in BenchmarkFillFanout.
const fanoutReaders = 8

// BenchmarkFillFanout runs a 64 MiB fill from an in-memory upstream into
// the real cache with 8 readers following it, each reading the whole blob
// as it grows. MB/s counts the bytes all readers received.
func BenchmarkFillFanout(b *testing.B) {
	const size = 64 << 20
	store, err := cache.OpenWithOptions(b.TempDir(), cache.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	fs := newFills(store, Options{}.withFillDefaults().pieceOptions(), DefaultMaxConcurrentFills, metrics.Discard(), slog.New(slog.DiscardHandler))
	up := &benchUpstream{blob: make([]byte, size)}
	b.SetBytes(size * fanoutReaders)
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		binary.LittleEndian.PutUint64(up.blob, uint64(i)+uint64(time.Now().UnixNano())) // a new digest: a cold fill
		d := blobtest.Digest(up.blob)
		b.StartTimer()
		if err := followFill(fs, up, d, size); err != nil {
			b.Fatal(err)
		}
	}
}

// followFill has fanoutReaders clients join the fill of d at once and read
// it to the end, as serveFill does.
func followFill(fs *fills, up Upstream, d v1.Hash, size int64) error {
	ctx := context.Background()
	errs := make(chan error, fanoutReaders)
	var wg sync.WaitGroup
	for range fanoutReaders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- readFill(ctx, fs.join(up, "library/big", d), size)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func readFill(ctx context.Context, f *fill, size int64) error {
	defer f.release()
	blob, err := f.wait(ctx)
	if err != nil {
		return err
	}
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	n, err := io.CopyBuffer(io.Discard, blob.NewReader(ctx, 0), *bp)
	if err == nil && n != size {
		err = errors.New("short read of a fill")
	}
	return err
}
