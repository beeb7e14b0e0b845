package mirror

import (
	"log/slog"
	"net/http"
	"time"
)

// recorder remembers what a handler sent, for the access log line.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	route  string
	cache  string // hit, miss, stale, or "" where no cache was involved
	err    error  // the cause behind an error response, for the operator
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	n, err := r.ResponseWriter.Write(b)
	r.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// accessLog writes one line per request, including requests whose
// connection was deliberately aborted (a fill that failed mid-body).
func accessLog(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w}
		start := time.Now()
		defer func() {
			p := recover()
			logRequest(log, r, rec, time.Since(start), p != nil)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r)
	})
}

func logRequest(log *slog.Logger, r *http.Request, rec *recorder, took time.Duration, aborted bool) {
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.String("route", rec.route),
		slog.Int("status", rec.status),
		slog.Int64("bytes", rec.bytes),
		slog.Duration("duration", took),
	}
	if rec.cache != "" {
		attrs = append(attrs, slog.String("cache", rec.cache))
	}
	if rec.err != nil {
		attrs = append(attrs, slog.String("error", rec.err.Error()))
	}
	level := slog.LevelInfo
	if aborted {
		attrs = append(attrs, slog.Bool("aborted", true))
		level = slog.LevelWarn
	}
	log.LogAttrs(r.Context(), level, "request", attrs...)
}

func setRouteName(w http.ResponseWriter, k routeKind) {
	if rec, ok := w.(*recorder); ok {
		rec.route = k.String()
	}
}

func noteCache(w http.ResponseWriter, result string) {
	if rec, ok := w.(*recorder); ok {
		rec.cache = result
	}
}

func noteError(w http.ResponseWriter, err error) {
	if rec, ok := w.(*recorder); ok {
		rec.err = err
	}
}
