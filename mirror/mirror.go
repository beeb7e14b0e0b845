package mirror

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sync/atomic"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/singleflight"

	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/upstream"
)

// Upstream is what the mirror needs of a remote registry.
type Upstream interface {
	Manifest(ctx context.Context, repo, ref string, accept []string) (*upstream.Manifest, error)
	HeadManifest(ctx context.Context, repo, ref string, accept []string) (upstream.Descriptor, error)
	Blob(ctx context.Context, repo string, d v1.Hash) (io.ReadCloser, int64, error)
	BlobSize(ctx context.Context, repo string, d v1.Hash) (int64, error)
	Tags(ctx context.Context, repo string, query url.Values) (*upstream.TagList, error)
	Referrers(ctx context.Context, repo string, subject v1.Hash) (*upstream.ReferrersIndex, error)
}

// Store is everything the mirror's parts need of the cache, each declared
// where it is used: blobs, manifests, tags and the catalog.
type Store interface {
	blobStore
	manifestStore
	tagStore
	catalogStore
	tagLister
	referrersStore
}

// The defaults of Options that leave these unset, and of the serve flags
// that set them.
const (
	// DefaultFillIdleTimeout ends a fill that wrote nothing this long: far
	// longer than upstream's stall timeout, after which a silent piece is
	// resumed, so only an upstream that stays gone ends a fill.
	DefaultFillIdleTimeout = 5 * time.Minute
	// DefaultFillParallelism is how many pieces of a large blob are
	// fetched at once: a long, lossy link gives each TCP flow only a slice
	// of the bandwidth.
	DefaultFillParallelism = 4
	// DefaultFillPieceSize is the size of one piece. Each worker asks for
	// its next piece a little before the current one ends, so the request's
	// round trip costs little whatever the size: BenchmarkFarLinkPieceSize
	// (128 MiB; 20 MB/s per connection, 100 ms RTT; one stream 17.9 MB/s)
	// gives 48.8, 48.1, 47.8 and 48.9 MB/s for 4, 8, 16 and 32 MiB (38.3,
	// 44.1, 47.2, 48.6 before that look-ahead). 16 MiB keeps the CDN
	// requests few and still spreads a 64 MiB layer over three connections.
	DefaultFillPieceSize = 16 << 20
	// DefaultFillPieceThreshold is the smallest blob fetched in pieces at
	// once; smaller ones come as one stream (in one request when they fit
	// in the first piece).
	DefaultFillPieceThreshold = 32 << 20
	// DefaultMaxConcurrentFills keeps a burst of cold pulls from opening
	// hundreds of upstream connections at once.
	DefaultMaxConcurrentFills = 32
)

// Options configure a Mirror.
type Options struct {
	Store Store
	// Registries are the upstreams served; Docker Hub ("docker.io"), if
	// present, is the default for names without a registry.
	Registries []Registry
	// TagTTL is how long a tag is served from cache without asking upstream.
	TagTTL time.Duration
	// StaleWhileRevalidate extends TagTTL: in this window an expired tag is
	// served at once and revalidated in the background.
	StaleWhileRevalidate time.Duration
	// NegativeTTL is how long upstream's "not found" for a tag or a
	// repository is answered without asking again; 0 disables it. The
	// serve flag defaults it to DefaultNegativeTTL.
	NegativeTTL time.Duration
	// Offline serves only what is cached and never contacts upstream.
	Offline bool
	// Now tells the time; tests move it to expire tags without sleeping.
	Now func() time.Time
	// Elapsed is the monotonic clock (see answerAges); nil derives it from
	// Now. Tests set it apart from Now to make the wall clock jump.
	Elapsed func() time.Duration
	// Metrics receives the mirror's counters; nil counts into the void.
	Metrics *metrics.Metrics
	// FillIdleTimeout ends a blob download that wrote nothing this long;
	// default DefaultFillIdleTimeout. No limit cuts a download that moves.
	FillIdleTimeout time.Duration
	// FillParallelism is how many pieces of a blob of at least
	// FillPieceThreshold bytes are fetched at once from an upstream that
	// honours Range; 1 fetches every blob as one stream. Default
	// DefaultFillParallelism.
	FillParallelism int
	// FillPieceSize and FillPieceThreshold: defaults DefaultFillPieceSize
	// and DefaultFillPieceThreshold.
	FillPieceSize      int64
	FillPieceThreshold int64
	// MaxConcurrentFills bounds upstream blob downloads at once; the rest
	// queue (their clients wait) rather than fail. Default
	// DefaultMaxConcurrentFills.
	MaxConcurrentFills int
	Log                *slog.Logger
	// AccessLog, if set, writes the access lines in Log's place, in Log's
	// format, without slog's generic formatting (accessline.go).
	AccessLog *AccessLog
	// Users are the clients allowed to pull; nil lets anyone pull.
	Users *Htpasswd
	// AnonymousPull, with Users, lets anyone read and asks a login only
	// for writes (login.go has the rule and why /v2/ still challenges).
	AnonymousPull bool
	// TokenKey signs AnonymousPull's tokens (at least MinTokenKeySize
	// bytes). Replicas behind one balancer share it so that each accepts
	// the tokens of the others, and it keeps tokens valid across a
	// restart. Empty: a random key made at start, for this process only.
	TokenKey []byte

	// Hosted are path.Match patterns of repositories pushed to and served
	// from local storage only, never upstream (hosted_route.go says how
	// names are matched). Empty: the mirror is read-only.
	Hosted []string
	// HostedMaxSize caps the bytes hosted content may hold; a push past it
	// is refused with DENIED. 0: unbounded.
	HostedMaxSize int64
	// MaxUploads bounds upload sessions open at once; default
	// DefaultMaxUploads.
	MaxUploads int
	// MaxUploadSize bounds one pushed blob; default DefaultMaxUploadSize.
	MaxUploadSize int64
	// UploadIdle ends an upload session unused this long; default
	// DefaultUploadIdle.
	UploadIdle time.Duration

	// TrustedProxies are the balancers whose X-Forwarded-For, -Host and
	// -Proto are believed (proxies.go); empty believes no one.
	TrustedProxies TrustedProxies
}

// Mirror is the registry API handler.
type Mirror struct {
	opts      Options
	now       func() time.Time
	log       *slog.Logger
	regs      *registries
	pulls     *topCounter
	fills     *fills
	manifests singleflight.Group
	classes   *classAnswers
	negatives *negatives
	ages      *answerAges
	tokens    *tokenIssuer // the token realm of AnonymousPull, else nil
	hosted    hostedStore  // nil unless Options.Hosted
	uploads   *uploads
	draining  atomic.Bool // set by Drain: /readyz says 503 from then on
}

// New returns the API handler.
func New(o Options) (*Mirror, error) {
	o = o.withDefaults()
	if o.Offline {
		o.Registries = offlineRegistries(o.Registries)
	}
	regs, err := newRegistries(o.Registries)
	if err != nil {
		return nil, err
	}
	m := &Mirror{
		opts:      o,
		now:       o.Now,
		log:       o.Log,
		regs:      regs,
		pulls:     newTopCounter(10000),
		fills:     newFills(o.Store, o.pieceOptions(), o.MaxConcurrentFills, o.Metrics, o.Log),
		classes:   newClassAnswers(maxClassAnswers),
		negatives: newNegatives(o.NegativeTTL, o.Now, o.Metrics),
		ages:      newAnswerAges(o.Now, o.Elapsed),
	}
	if o.Users != nil && o.AnonymousPull {
		if m.tokens, err = newTokenIssuer(o.TokenKey); err != nil {
			return nil, err
		}
	}
	return m, m.setUpHosted()
}

// withDefaults fills in every setting left unset, in one place.
func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Elapsed == nil {
		o.Elapsed = elapsedSince(o.Now)
	}
	if o.Metrics == nil {
		o.Metrics = metrics.Discard()
	}
	if o.MaxConcurrentFills <= 0 {
		o.MaxConcurrentFills = DefaultMaxConcurrentFills
	}
	return o.withFillDefaults().withUploadDefaults()
}

// Handler is the API as served. The layers, outside in, each seeing what
// the ones inside it answer:
//
//  1. access log and request metrics (observe), so every answer is logged
//     and counted, a refused login included;
//  2. the client login check (requireLogin), when Options.Users is set:
//     all of the API, or with AnonymousPull only the writes, and the
//     token realm;
//  3. the API (m).
func (m *Mirror) Handler() http.Handler {
	return m.observe(m.requireLogin(m))
}

// apiVersion is every answer's Docker-Distribution-API-Version, under the
// key Header.Set would canonicalise it to (at an allocation per request).
var apiVersion = []string{"registry/2.0"}

func (m *Mirror) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header()["Docker-Distribution-Api-Version"] = apiVersion
	rt, err := m.route(r)
	setRouteName(w, rt.kind)
	if err != nil {
		writeError(w, err, errNotFound)
		return
	}
	if rt.hosted {
		m.serveHosted(w, r, rt)
		return
	}
	switch rt.kind {
	case routeBase:
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte("{}"))
	case routeManifest:
		m.serveManifest(w, r, rt)
	case routeBlob:
		m.serveBlob(w, r, rt)
	case routeTags:
		m.serveTags(w, r, rt)
	case routeCatalog:
		m.serveCatalog(w, r)
	case routeReferrers:
		m.serveReferrers(w, r, rt)
	}
}

// route parses the request and refuses what the mirror never does:
// writes, anywhere but in a hosted repository.
func (m *Mirror) route(r *http.Request) (route, error) {
	rt, err := parseRoute(r.URL.EscapedPath(), namespaceParam(r), m.regs)
	if rt.hosted {
		return rt, err
	}
	if !isRead(r.Method) || (err == nil && rt.kind == routeUpload) {
		return route{}, m.writeRefusal()
	}
	return rt, err
}

func (o Options) withFillDefaults() Options {
	if o.FillIdleTimeout <= 0 {
		o.FillIdleTimeout = DefaultFillIdleTimeout
	}
	if o.FillParallelism <= 0 {
		o.FillParallelism = DefaultFillParallelism
	}
	if o.FillPieceSize <= 0 {
		o.FillPieceSize = DefaultFillPieceSize
	}
	if o.FillPieceThreshold <= 0 {
		o.FillPieceThreshold = DefaultFillPieceThreshold
	}
	return o
}

func (o Options) pieceOptions() pieceOptions {
	return pieceOptions{threshold: o.FillPieceThreshold, size: o.FillPieceSize, parallelism: o.FillParallelism, idle: o.FillIdleTimeout}
}

// namespaceParam is ?ns=, without parsing an empty query (most requests'):
// url.Values is a map allocated per call.
func namespaceParam(r *http.Request) string {
	if r.URL.RawQuery == "" {
		return ""
	}
	return r.URL.Query().Get("ns")
}
