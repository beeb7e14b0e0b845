package mirror_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hubmirror/hubmirror/internal/blobtest"
	"github.com/hubmirror/hubmirror/metrics"
)

// Pushes are counted (started, completed, failed; bytes received), hosted
// bytes and repositories are exported, and the status page lists the
// hosted repositories with their size.
func TestHostedOperations(t *testing.T) {
	reg := prometheus.NewRegistry()
	met := metrics.New(reg)
	var log bytes.Buffer
	_, m := startHosted(t, setup{metrics: met, log: slog.New(slog.NewTextHandler(&log, nil))})
	met.WatchCache(m.store)
	p := pusher{t, m.url}
	layer := bytes.Repeat([]byte("x"), 5000)
	p.image("team/app", "1", layer) // config and layer: two uploads
	bad := []byte("not what the digest says")
	send(t, "PUT", withDigest(p.start("team/app"), blobtest.Digest([]byte("other"))), bad)

	for event, want := range map[string]float64{metrics.UploadStarted: 3, metrics.UploadCompleted: 2, metrics.UploadFailed: 1} {
		if got := testutil.ToFloat64(met.Uploads.WithLabelValues(event)); got != want {
			t.Errorf("uploads_total{event=%s} = %v, want %v", event, got, want)
		}
	}
	config := m.store.HostedSize() - int64(len(layer)) - manifestSize(t, m.url+"/v2/team/app/manifests/1")
	if got, want := testutil.ToFloat64(met.UploadBytes), float64(int64(len(layer))+config+int64(len(bad))); got != want {
		t.Errorf("upload_received_bytes_total = %v, want %v", got, want)
	}
	if n, err := testutil.GatherAndCount(reg, "hubmirror_hosted_size_bytes", "hubmirror_hosted_repositories"); err != nil || n != 2 {
		t.Errorf("hosted gauges: %d series, %v", n, err)
	}

	if !strings.Contains(log.String(), "method=PUT path=/v2/team/app/blobs/uploads/") || !strings.Contains(log.String(), "received=5000") {
		t.Errorf("no push line with the bytes received in the access log:\n%s", log.String())
	}

	rec := httptest.NewRecorder()
	m.mirror.StatusPage().ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	page := rec.Body.String()
	if !strings.Contains(page, `data-repository="team/app"`) || !strings.Contains(page, `id="hosted-size"`) {
		t.Errorf("status page lacks the hosted repository:\n%s", page)
	}
}

func manifestSize(t *testing.T, url string) int64 {
	t.Helper()
	resp, body := get(t, "GET", url, "Accept", ociManifest)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", url, resp.StatusCode)
	}
	return int64(len(body))
}
