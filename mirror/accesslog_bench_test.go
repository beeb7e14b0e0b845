package mirror

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkAccessLine is one warm manifest hit's access line through the
// default text handler: with a buffered sink it is the log's whole cost.
func BenchmarkAccessLine(b *testing.B) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	r := httptest.NewRequest("GET", "/v2/library/alpine/manifests/latest", nil)
	rec := &recorder{status: 200, bytes: 1234, route: routeManifest.String(), cache: "hit"}
	b.ReportAllocs()
	for b.Loop() {
		logRequest(log, r, "192.0.2.7", rec, 123456*time.Nanosecond, false)
	}
}
