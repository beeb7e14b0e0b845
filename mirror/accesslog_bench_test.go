package mirror

import (
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkAccessLine is one warm manifest hit's access line, through the
// default text handler (slog) and through AccessLog (direct): with a
// buffered sink it is the log's whole cost.
func BenchmarkAccessLine(b *testing.B) {
	r := httptest.NewRequest("GET", "/v2/library/alpine/manifests/latest", nil)
	rec := &recorder{status: 200, bytes: 1234, route: routeManifest.String(), cache: "hit"}
	b.Run("slog", func(b *testing.B) {
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		b.ReportAllocs()
		for b.Loop() {
			slogRequest(log, r, "127.0.0.1", rec, 123456*time.Nanosecond, false)
		}
	})
	b.Run("direct", func(b *testing.B) {
		a := &AccessLog{W: io.Discard}
		b.ReportAllocs()
		for b.Loop() {
			a.write(time.Now(), r, "127.0.0.1", rec, 123456*time.Nanosecond, false)
		}
	})
}
