package e2e

import (
	"bytes"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dustin/go-humanize"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/net/html"

	"github.com/hubmirror/hubmirror/upstream/upstreamtest"
)

// statusTTL is the tag TTL of the status test: short, so one manifest can
// be served stale within the test.
const statusTTL = 2 * time.Second

// The status page, as a real browser renders it after scripted pulls,
// shows the same numbers /metrics exports: hits, misses and stale answers,
// the hit ratio, bytes served from the cache, bytes from upstream, fills
// in flight, and the upstream's state and rate limit; plus what the cache
// holds and the repositories pulled most. A screenshot is kept for people.
func TestStatusPageInChromium(t *testing.T) {
	chromium := requireChromium(t)
	t.Parallel()
	hub := upstreamtest.New(t, upstreamtest.Options{})
	if _, err := hub.SeedStandard(); err != nil {
		t.Fatal(err)
	}
	mirror := startHubmirror(t, "--upstream", hub.URL, "--tag-ttl", statusTTL.String())
	pulls := scriptedPulls(t, mirror, hub)

	fams, metricsText := opsScrape(t, mirror)
	page := parsePageDOM(t, runChromium(t, chromium, mirror+"/", "--dump-dom"))
	m := pageMetrics{
		hits:     fams.sum("hubmirror_cache_lookups_total", "result", "hit"),
		misses:   fams.sum("hubmirror_cache_lookups_total", "result", "miss"),
		stale:    fams.sum("hubmirror_cache_lookups_total", "result", "stale"),
		saved:    fams.sum("hubmirror_served_bytes_total", "source", "cache"),
		upstream: fams.sum("hubmirror_upstream_bytes_total"),
		fills:    fams.sum("hubmirror_fills_in_flight"),
		rate:     fams.sum("hubmirror_upstream_ratelimit_remaining", "upstream", "docker.io"),
	}
	t.Logf("/metrics after the pulls:\n%s", hubmirrorSample(metricsText))
	assertScriptCounted(t, m, pulls)
	checkCards(t, page, m, pulls)
	checkUpstreamRow(t, page, m)
	checkTop(t, page, pulls)
	statusScreenshot(t, chromium, mirror+"/")
}

// statusPulls is what the script did, for the checks that do not come from
// /metrics.
type statusPulls struct {
	stored    map[v1.Hash]int // every manifest and blob the cache must hold
	blobBytes int             // distinct blob bytes, each fetched upstream once
	tagPulls  map[string]int  // manifest GETs by tag per repository
}

// scriptedPulls pulls two images twice (misses, then hits), one platform of
// a multi-platform image once, then, with the tag expired and upstream
// down, one manifest again (served stale).
func scriptedPulls(t *testing.T, mirror string, hub *upstreamtest.Hub) statusPulls {
	t.Helper()
	p := statusPulls{stored: map[v1.Hash]int{}, tagPulls: map[string]int{}}
	idx := p.manifest(t, mirror, "library/busybox", "latest")
	im, err := v1.ParseIndexManifest(bytes.NewReader(idx))
	if err != nil {
		t.Fatal(err)
	}
	for _, child := range im.Manifests {
		if child.Platform != nil && child.Platform.Architecture == "amd64" {
			p.pullBlobs(t, mirror, "library/busybox", p.manifest(t, mirror, "library/busybox", child.Digest.String()), 1)
		}
	}
	for _, repo := range []string{"someuser/app:v1", "library/alpine:latest"} {
		for range 2 {
			p.pullImage(t, mirror, repo)
		}
	}
	// alpine's tag was fetched, or at the latest revalidated, before now.
	time.Sleep(statusTTL + 100*time.Millisecond)
	hub.SetOffline(true)
	resp, _ := opsGet(t, http.MethodGet, mirror+"/v2/library/alpine/manifests/latest", "Accept", opsAcceptAll)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Warning") == "" {
		t.Fatalf("expired tag with upstream down: %d, Warning %q; want it served stale", resp.StatusCode, resp.Header.Get("Warning"))
	}
	p.tagPulls["docker.io/library/alpine"]++
	return p
}

func (p *statusPulls) pullImage(t *testing.T, mirror, ref string) {
	t.Helper()
	repo, tag, _ := strings.Cut(ref, ":")
	p.pullBlobs(t, mirror, repo, p.manifest(t, mirror, repo, tag), 1)
}

// manifest GETs a manifest by tag or digest and notes it as stored.
func (p *statusPulls) manifest(t *testing.T, mirror, repo, ref string) []byte {
	t.Helper()
	resp, body := opsGet(t, http.MethodGet, mirror+"/v2/"+repo+"/manifests/"+ref, "Accept", opsAcceptAll)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("manifest %s:%s: %d %s", repo, ref, resp.StatusCode, body)
	}
	d, _ := v1.NewHash(resp.Header.Get("Docker-Content-Digest"))
	p.stored[d] = len(body)
	if !strings.HasPrefix(ref, "sha256:") {
		p.tagPulls["docker.io/"+repo]++
	}
	return body
}

// pullBlobs GETs an image's config and layers times times each.
func (p *statusPulls) pullBlobs(t *testing.T, mirror, repo string, manifest []byte, times int) {
	t.Helper()
	m, err := v1.ParseManifest(bytes.NewReader(manifest))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range append([]v1.Descriptor{m.Config}, m.Layers...) {
		for range times {
			resp, body := opsGet(t, http.MethodGet, mirror+"/v2/"+repo+"/blobs/"+d.Digest.String())
			if resp.StatusCode != http.StatusOK || opsSHA256Hex(body) != d.Digest.Hex {
				t.Fatalf("blob %s: %d, %d bytes", d.Digest, resp.StatusCode, len(body))
			}
			if _, seen := p.stored[d.Digest]; !seen {
				p.blobBytes += len(body)
			}
			p.stored[d.Digest] = len(body)
		}
	}
}

// pageMetrics are the /metrics values the page shows.
type pageMetrics struct {
	hits, misses, stale, saved, upstream, fills, rate float64
}

// assertScriptCounted keeps the comparison from being vacuous: the pulls
// produced every kind of lookup, and upstream bytes are exactly the
// distinct blobs, each fetched once.
func assertScriptCounted(t *testing.T, m pageMetrics, p statusPulls) {
	t.Helper()
	if m.hits == 0 || m.misses == 0 || m.stale != 1 || m.saved == 0 || m.rate == 0 {
		t.Errorf("the pulls should produce hits, misses, one stale answer, bytes from cache and a rate limit: %+v", m)
	}
	if m.upstream != float64(p.blobBytes) {
		t.Errorf("hubmirror_upstream_bytes_total = %v, want the %d bytes of the distinct blobs pulled", m.upstream, p.blobBytes)
	}
}

// checkCards compares each card's raw data-value and its visible text with
// /metrics.
func checkCards(t *testing.T, page pageDOM, m pageMetrics, p statusPulls) {
	t.Helper()
	ratio := (m.hits + m.stale) / (m.hits + m.misses + m.stale)
	hr := statusCard(t, page, "hit-ratio")
	if got, _ := strconv.ParseFloat(nodeAttr(hr, "data-value"), 64); math.Abs(got-ratio) > 1e-6 {
		t.Errorf("hit-ratio data-value %q, want %v", nodeAttr(hr, "data-value"), ratio)
	}
	if got, want := firstChildText(hr), fmt.Sprintf("%.1f%%", 100*ratio); got != want {
		t.Errorf("hit ratio shows %q, want %q", got, want)
	}
	counts := fmt.Sprintf("(%.0f hits, %.0f misses, %.0f stale)", m.hits, m.misses, m.stale)
	if !strings.Contains(nodeText(hr), counts) {
		t.Errorf("hit-ratio card says %q, want it to contain %q", nodeText(hr), counts)
	}
	stored := 0
	for _, n := range p.stored {
		stored += n
	}
	for id, want := range map[string]float64{"bytes-saved": m.saved, "upstream-bytes": m.upstream, "cache-size": float64(stored)} {
		checkBytesCard(t, statusCard(t, page, id), id, want)
	}
	if f := statusCard(t, page, "fills"); nodeAttr(f, "data-value") != fmt.Sprintf("%.0f", m.fills) || firstChildText(f) != fmt.Sprintf("%.0f", m.fills) {
		t.Errorf("fills card %q (data-value %q), want %v", nodeText(f), nodeAttr(f, "data-value"), m.fills)
	}
}

func statusCard(t *testing.T, page pageDOM, id string) *html.Node {
	t.Helper()
	n := page.find("id", id)
	if n == nil {
		t.Fatalf("the page has no element with id %q", id)
	}
	return n
}

// checkBytesCard wants the exact count in data-value and the same count,
// as every hubmirror output writes it for people (humanize.IBytes), in
// the visible number.
func checkBytesCard(t *testing.T, n *html.Node, id string, want float64) {
	t.Helper()
	if got := nodeAttr(n, "data-value"); got != fmt.Sprintf("%.0f", want) {
		t.Errorf("%s data-value %q, want %.0f", id, got, want)
	}
	if shown, human := firstChildText(n), humanize.IBytes(uint64(want)); shown != human {
		t.Errorf("%s shows %q, want %q (%.0f bytes)", id, shown, human, want)
	}
}

// checkUpstreamRow wants docker.io shown as failing (it is offline now)
// with the rate limit /metrics reports.
func checkUpstreamRow(t *testing.T, page pageDOM, m pageMetrics) {
	t.Helper()
	row := page.find("data-upstream", "docker.io")
	if row == nil {
		t.Fatal("the upstreams table has no docker.io row")
	}
	if nodeAttr(row, "data-reachable") != "false" || !strings.Contains(nodeText(row), "failing") {
		t.Errorf("docker.io row %q (data-reachable %q): want it failing, upstream is down", nodeText(row), nodeAttr(row, "data-reachable"))
	}
	want := fmt.Sprintf("%.0f", m.rate)
	if nodeAttr(row, "data-ratelimit") != want || !strings.HasSuffix(nodeText(row), " "+want) {
		t.Errorf("docker.io row %q (data-ratelimit %q): want rate limit %s", nodeText(row), nodeAttr(row, "data-ratelimit"), want)
	}
}

// checkTop wants every repository pulled by tag, with its pull count.
func checkTop(t *testing.T, page pageDOM, p statusPulls) {
	t.Helper()
	rows := page.all("data-repository")
	if len(rows) != len(p.tagPulls) {
		t.Errorf("top repositories lists %d rows, want %d: %v", len(rows), len(p.tagPulls), p.tagPulls)
	}
	for _, r := range rows {
		repo := nodeAttr(r, "data-repository")
		if want := strconv.Itoa(p.tagPulls[repo]); nodeAttr(r, "data-pulls") != want || nodeText(r) != repo+" "+want {
			t.Errorf("top row %q (data-pulls %q), want %s pulled %s times", nodeText(r), nodeAttr(r, "data-pulls"), repo, want)
		}
	}
}

// screenshot renders the page to a PNG and checks it is the size asked
// for and not blank. It is kept in $E2E_ARTIFACTS_DIR when that is set.
func statusScreenshot(t *testing.T, chromium, url string) {
	t.Helper()
	dir := os.Getenv("E2E_ARTIFACTS_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "status.png")
	runChromium(t, chromium, url, "--screenshot="+path, "--window-size=1200,900", "--hide-scrollbars")
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("chromium wrote no screenshot: %v", err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	if b := img.Bounds(); b.Dx() != 1200 || b.Dy() != 900 {
		t.Errorf("screenshot is %dx%d, want 1200x900", b.Dx(), b.Dy())
	}
	colors := map[[4]uint32]bool{}
	for y := 0; y < img.Bounds().Dy(); y += 4 {
		for x := 0; x < img.Bounds().Dx(); x += 4 {
			r, g, b, a := img.At(x, y).RGBA()
			colors[[4]uint32{r, g, b, a}] = true
		}
	}
	if len(colors) < 8 {
		t.Errorf("screenshot has %d colours: the page did not render", len(colors))
	}
	t.Logf("status page screenshot: %s", path)
}
