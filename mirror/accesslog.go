package mirror

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"

	"github.com/hubmirror/hubmirror/metrics"
)

// recorder remembers what a handler sent, for the access log and metrics.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
	route  string
	cache  string // hit, miss, stale, or "" where no cache was involved
	err    error  // the cause behind an error response, for the operator
	// received is the blob bytes a push sent in this request, so push
	// lines in the access log say how much came in, not only what went out.
	received int64
	// upstream is how long the request waited on upstream (a manifest
	// fetch, a revalidation, a fill's first byte); zero for cache hits.
	upstream time.Duration
}

type recorderKey struct{}

// waitedOnUpstream adds the time since start to the request's upstream
// time, for the access log.
func waitedOnUpstream(ctx context.Context, start time.Time) {
	if rec, ok := ctx.Value(recorderKey{}).(*recorder); ok {
		rec.upstream += time.Since(start)
	}
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

// ReadFrom hands a body to net/http's own ReadFrom, which sends a file
// with sendfile(2) (largewrites.go says when that is the faster way).
func (r *recorder) ReadFrom(src io.Reader) (int64, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	var n int64
	var err error
	if rf, ok := r.ResponseWriter.(io.ReaderFrom); ok {
		n, err = rf.ReadFrom(src)
	} else {
		n, err = io.Copy(writerOnly{r.ResponseWriter}, src)
	}
	r.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach Flush on the real writer.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// observe writes one access-log line and the request metrics per request,
// including requests whose connection was deliberately aborted (a fill
// that failed mid-body).
func (m *Mirror) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &recorder{ResponseWriter: w, route: routeUnknown.String()}
		start := time.Now()
		defer func() {
			p := recover()
			took := m.logRequest(r, rec, start, p != nil)
			m.count(r, rec, took)
			if p != nil {
				panic(p)
			}
		}()
		next.ServeHTTP(rec, r.WithContext(context.WithValue(r.Context(), recorderKey{}, rec)))
	})
}

func (m *Mirror) count(r *http.Request, rec *recorder, took time.Duration) {
	mt := m.opts.Metrics
	requests, durations := mt.Request(rec.route, r.Method, rec.status)
	requests.Inc()
	durations.Observe(took.Seconds())
	// Tag lists and referrers note their cache outcome for the log line;
	// the lookup counter keeps to the kinds metrics declares.
	if rec.cache == "" || !slices.Contains(metrics.LookupKinds, rec.route) {
		return
	}
	mt.Lookup(rec.route, rec.cache).Inc()
	if rec.route == routeBlob.String() && r.Method == http.MethodGet {
		source := metrics.SourceCache
		if rec.cache == metrics.ResultMiss {
			source = metrics.SourceFill
		}
		mt.Served(source).Add(float64(rec.bytes))
	}
}

// logRequest writes a request's access line: through AccessLog when the
// root set one up, through slog otherwise.
func (m *Mirror) logRequest(r *http.Request, rec *recorder, start time.Time, aborted bool) time.Duration {
	now := time.Now()
	took := now.Sub(start)
	client := m.opts.TrustedProxies.clientAddr(r)
	switch a := m.opts.AccessLog; {
	case a != nil:
		a.write(now, r, client, rec, took, aborted)
	case m.log.Enabled(r.Context(), requestLevel(aborted)):
		slogRequest(m.log, r, client, rec, took, aborted)
	}
	return took
}

func slogRequest(log *slog.Logger, r *http.Request, client string, rec *recorder, took time.Duration, aborted bool) {
	attrs := make(attrList, 0, 12)
	requestFields(&attrs, r, client, rec, took, aborted)
	log.LogAttrs(r.Context(), requestLevel(aborted), "request", attrs...)
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

func noteReceived(w http.ResponseWriter, n int64) {
	if rec, ok := w.(*recorder); ok {
		rec.received += n
	}
}
