package mirror_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubmirror/hubmirror/cache"
	"github.com/hubmirror/hubmirror/metrics"
	"github.com/hubmirror/hubmirror/mirror"
	"github.com/hubmirror/hubmirror/upstream"
	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// statusFixture is a mirror with its status page and API on one server,
// and the collectors both read.
type statusFixture struct {
	url string
	met *metrics.Metrics
}

func startStatusFixture(t *testing.T, hub *upstreamtest.Hub) statusFixture {
	t.Helper()
	store, err := cache.OpenWithOptions(t.TempDir(), cache.Options{})
	if err != nil {
		t.Fatal(err)
	}
	met := metrics.Discard()
	up, err := upstream.New(upstream.Options{URL: hub.URL, UserAgent: "hubmirror-test", Observer: met.Upstream("docker.io")})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mirror.New(mirror.Options{Store: store, Registries: []mirror.Registry{{Host: "docker.io", Upstream: up}}, TagTTL: time.Hour, Metrics: met})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/v2/", m.Handler())
	mux.Handle("/{$}", m.StatusPage())
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { srv.Close(); store.Close() })
	return statusFixture{url: srv.URL, met: met}
}

func statusPage(t *testing.T, base string) string {
	t.Helper()
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status page: %d %s", resp.StatusCode, b)
	}
	return string(b)
}

// attr returns the value of attribute name on the element with id, or of
// the first element carrying the selector attribute; "" if absent.
func attr(page, selector, name string) string {
	re := regexp.MustCompile(`<[a-z]+[^>]*` + regexp.QuoteMeta(selector) + `[^>]*>`)
	tag := re.FindString(page)
	m := regexp.MustCompile(`\s` + regexp.QuoteMeta(name) + `="([^"]*)"`).FindStringSubmatch(tag)
	if m == nil {
		return ""
	}
	return m[1]
}

// The page shows how much the cache holds: exactly the bytes of the
// manifests and blobs pulled so far.
func TestStatusShowsCacheSize(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	f := startStatusFixture(t, hub)
	_, manifest := get(t, "GET", f.url+"/v2/library/alpine/manifests/latest", "Accept", dockerManifest)
	stored := len(manifest)
	for _, b := range s.Blobs {
		_, body := get(t, "GET", f.url+"/v2/library/alpine/blobs/"+b.String())
		stored += len(body)
	}

	var got string
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		// A fill is recorded in the index just after its last byte is sent.
		if got = attr(statusPage(t, f.url), `id="cache-size"`, "data-value"); got == strconv.Itoa(stored) {
			return
		}
	}
	t.Errorf("cache-size shows %q bytes, want the %d bytes pulled", got, stored)
}

// A spent rate limit is the number an operator most needs to see: 0 must
// show as 0, not as "unknown".
func TestStatusShowsRateLimitZero(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	hub.MustSeedStandard(t)
	f := startStatusFixture(t, hub)
	get(t, "GET", f.url+"/v2/library/alpine/manifests/latest") // makes docker.io known and healthy
	f.met.RateRemaining.WithLabelValues("docker.io").Set(0)

	page := statusPage(t, f.url)
	if got := attr(page, `data-upstream="docker.io"`, "data-ratelimit"); got != "0" {
		t.Errorf("docker.io row has data-ratelimit=%q, want \"0\"", got)
	}
	row := regexp.MustCompile(`(?s)<tr data-upstream="docker.io".*?</tr>`).FindString(page)
	if !strings.Contains(row, `<td class="num">0</td>`) {
		t.Errorf("docker.io row %q does not show 0 pulls left", row)
	}
}

// The mirror labels its lookups and served bytes only with the values
// metrics declares (and starts at zero): a name that drifted would add a
// series the status page and the dashboards never read.
func TestLookupLabelsComeFromTheDeclaredSets(t *testing.T) {
	hub := upstreamtest.New(t, upstreamtest.Options{})
	s := hub.MustSeedStandard(t)["library/alpine"]
	f := startStatusFixture(t, hub)
	for range 2 {
		get(t, "GET", f.url+"/v2/library/alpine/manifests/latest", "Accept", dockerManifest)
		for _, b := range s.Blobs {
			get(t, "HEAD", f.url+"/v2/library/alpine/blobs/"+b.String())
			get(t, "GET", f.url+"/v2/library/alpine/blobs/"+b.String())
		}
		get(t, "GET", f.url+"/v2/library/alpine/referrers/"+s.Digest.String()) // logged, not a lookup kind
	}
	lookups := len(metrics.LookupKinds) * len(metrics.LookupResults)
	if n := testutil.CollectAndCount(f.met.CacheLookups); n != lookups {
		t.Errorf("cache_lookups_total has %d series, want the %d declared", n, lookups)
	}
	if n := testutil.CollectAndCount(f.met.ServedBytes); n != len(metrics.ServedSources) {
		t.Errorf("served_bytes_total has %d series, want the %d declared", n, len(metrics.ServedSources))
	}
	if snap := f.met.Snapshot(); snap.Hits == 0 || snap.Misses == 0 || snap.BytesFromCache == 0 {
		t.Errorf("the pulls should count hits, misses and bytes from cache: %+v", snap)
	}
}
