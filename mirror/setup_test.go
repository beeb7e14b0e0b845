package mirror_test

import (
	"bytes"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

type setup struct {
	ttl          time.Duration
	allowPrivate bool
	dataDir      string
	user, pass   string
	realmHosts   []string
	stall        time.Duration
	clock        *clock
	elapsed      *clock // the monotonic clock, when the test moves it apart from clock
	offline      bool
	swr          time.Duration
	allow        []string // Docker Hub's allowlist
	others       map[string]*upstreamtest.Hub
	maxFills     int
	metrics      *metrics.Metrics
	maxSize      int64
	parallelism  int   // pieces at once; 0 for the default
	pieceSize    int64 // 0 for the default
	idle         time.Duration
	negativeTTL  time.Duration
	// The write side: hosted patterns and the upload bounds.
	hosted     []string
	hostedMax  int64
	maxUploads int
	uploadIdle time.Duration
	connState  func(net.Conn, http.ConnState)
	// listener wraps the mirror's listener, to watch its connections.
	listener func(net.Listener) net.Listener
	log      *slog.Logger
	trusted  mirror.TrustedProxies
	// registries, when set, replace hub and others: a child mirror's
	// upstreams are its parent mirror (tiers_test.go).
	registries []mirror.Registry
}

// clock is a time source a test moves by hand, so tags expire without
// sleeping.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// startMirror runs a real mirror (real cache on a temp dir, real upstream
// client) in front of hub, on loopback, and returns its base URL.
func startMirror(t *testing.T, hub *upstreamtest.Hub, s setup) string {
	t.Helper()
	r := startMirrorUntilStopped(t, hub, s)
	t.Cleanup(r.stop)
	return r.url
}

type running struct {
	url    string
	stop   func()
	store  *cache.Store
	mirror *mirror.Mirror
}

// startMirrorUntilStopped is startMirror for tests that restart a mirror on
// the same data dir: the caller stops it (Badger locks the directory).
func startMirrorUntilStopped(t testing.TB, hub *upstreamtest.Hub, s setup) running {
	t.Helper()
	if s.dataDir == "" {
		s.dataDir = t.TempDir()
	}
	if s.ttl == 0 {
		s.ttl = time.Hour
	}
	store, err := cache.OpenWithOptions(s.dataDir, cache.Options{MaxSize: s.maxSize})
	if err != nil {
		t.Fatal(err)
	}
	if s.metrics == nil {
		s.metrics = metrics.Discard()
	}
	regs := s.registries
	if regs == nil {
		regs = []mirror.Registry{{Host: "docker.io", Upstream: client(t, hub, s), Allow: s.allow}}
		for host, other := range s.others {
			regs = append(regs, mirror.Registry{Host: host, Upstream: client(t, other, setup{})})
		}
	}
	o := mirror.Options{Store: store, Registries: regs, TagTTL: s.ttl, FillParallelism: s.parallelism, FillPieceSize: s.pieceSize, FillIdleTimeout: s.idle,
		MaxConcurrentFills: s.maxFills, Metrics: s.metrics, Offline: s.offline, StaleWhileRevalidate: s.swr, NegativeTTL: s.negativeTTL,
		Hosted: s.hosted, HostedMaxSize: s.hostedMax, MaxUploads: s.maxUploads, UploadIdle: s.uploadIdle, Log: s.log,
		TrustedProxies: s.trusted}
	if s.clock != nil {
		o.Now = s.clock.Now
	}
	if s.elapsed != nil {
		start := s.elapsed.Now()
		o.Elapsed = func() time.Duration { return s.elapsed.Now().Sub(start) }
	}
	m, err := mirror.New(o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(m.Handler())
	srv.Config.ConnState = s.connState
	if s.listener != nil {
		srv.Listener = s.listener(srv.Listener)
	}
	srv.Start()
	var once sync.Once
	return running{url: srv.URL, store: store, mirror: m, stop: func() {
		once.Do(func() {
			srv.Close()
			store.Close()
		})
	}}
}

func client(t testing.TB, hub *upstreamtest.Hub, s setup) *upstream.Client {
	t.Helper()
	up, err := upstream.New(upstream.Options{URL: hub.URL, Credentials: upstream.Account{Username: s.user, Password: s.pass}, RealmHosts: s.realmHosts, AllowPrivateNetworks: s.allowPrivate, UserAgent: "hubmirror-test", StallTimeout: s.stall, Observer: observer(s, hub)})
	if err != nil {
		t.Fatal(err)
	}
	return up
}

func observer(s setup, hub *upstreamtest.Hub) upstream.Observer {
	if s.metrics == nil {
		return nil
	}
	return s.metrics.Upstream("docker.io")
}

func get(t *testing.T, method, url string, hdr ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Add(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, url, err)
	}
	return resp, body
}

// syncBuffer collects log lines written from the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
