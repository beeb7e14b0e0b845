package mirror

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// AccessLog writes the access lines itself instead of handing them to
// Log: the same bytes Log's TextHandler or JSONHandler would write (same
// keys, order, quoting and time format; TestAccessLineMatchesSlog holds
// the two together), appended with strconv into a pooled buffer. The
// access line is the one line per request, and slog's generic formatting
// of it (a Record, an attrs slice, a PC lookup, a handleState) was an
// eighth of a warm manifest hit's CPU. Every other line still goes
// through slog.
type AccessLog struct {
	// W is Log's sink; each line reaches it in one Write.
	W io.Writer
	// JSON picks JSONHandler's format; otherwise TextHandler's.
	JSON bool
	// Level is Log's level: lines below it are not written.
	Level slog.Leveler
	// Flush, if set, is called after each line at or above Urgent, as
	// logbuf.Urgent does for Log's lines.
	Flush  func() error
	Urgent slog.Level
}

// lines keeps line buffers between requests (a line is handed to
// requestFields as an interface, so it lives on the heap); one grown past
// maxPooledLine by an odd path or a long error is left to the collector.
var lines = sync.Pool{New: func() any { return &line{buf: make([]byte, 0, 512)} }}

const maxPooledLine = 4 << 10

func (a *AccessLog) enabled(level slog.Level) bool {
	min := slog.LevelInfo
	if a.Level != nil {
		min = a.Level.Level()
	}
	return level >= min
}

// write formats one request's line and writes it to W.
func (a *AccessLog) write(now time.Time, r *http.Request, client string, rec *recorder, took time.Duration, aborted bool) {
	level := requestLevel(aborted)
	if !a.enabled(level) {
		return
	}
	l := lines.Get().(*line)
	l.buf, l.json = l.buf[:0], a.JSON
	l.begin(now, level, "request")
	requestFields(l, r, client, rec, took, aborted)
	l.end()
	a.W.Write(l.buf) //nolint:errcheck // a log sink that fails has nowhere to report it, as with slog
	if a.Flush != nil && level >= a.Urgent {
		a.Flush() //nolint:errcheck // as above
	}
	if cap(l.buf) <= maxPooledLine {
		lines.Put(l)
	}
}

// fieldWriter takes a request's fields in order: a line for AccessLog, an
// attrs slice for slog.
type fieldWriter interface {
	str(key, v string)
	int(key string, v int64)
	dur(key string, v time.Duration)
	boolean(key string, v bool)
}

// requestFields is the one list of what an access line says, in order.
func requestFields(f fieldWriter, r *http.Request, client string, rec *recorder, took time.Duration, aborted bool) {
	f.str("client", client)
	f.str("method", r.Method)
	f.str("path", r.URL.Path)
	f.str("route", rec.route)
	f.int("status", int64(rec.status))
	f.int("bytes", rec.bytes)
	f.dur("duration", took)
	if rec.cache != "" {
		f.str("cache", rec.cache)
	}
	if rec.upstream > 0 {
		f.dur("upstream", rec.upstream)
	}
	if rec.received > 0 {
		f.int("received", rec.received)
	}
	if rec.err != nil {
		f.str("error", rec.err.Error())
	}
	if aborted {
		f.boolean("aborted", true)
	}
}

// requestLevel: an aborted response is a warning, the rest are info.
func requestLevel(aborted bool) slog.Level {
	if aborted {
		return slog.LevelWarn
	}
	return slog.LevelInfo
}

// attrList collects the fields as slog attributes, for a Log without an
// AccessLog (tests, the cache commands).
type attrList []slog.Attr

func (a *attrList) str(k, v string)               { *a = append(*a, slog.String(k, v)) }
func (a *attrList) int(k string, v int64)         { *a = append(*a, slog.Int64(k, v)) }
func (a *attrList) dur(k string, v time.Duration) { *a = append(*a, slog.Duration(k, v)) }
func (a *attrList) boolean(k string, v bool)      { *a = append(*a, slog.Bool(k, v)) }

// line appends fields as slog's TextHandler or JSONHandler would.
type line struct {
	buf  []byte
	json bool
}

func (l *line) begin(t time.Time, level slog.Level, msg string) {
	if l.json {
		l.buf = append(l.buf, `{"time":"`...)
		l.buf = t.AppendFormat(l.buf, time.RFC3339Nano)
		l.buf = append(l.buf, `","level":"`...)
		l.buf = append(l.buf, level.String()...)
		l.buf = append(l.buf, `","msg":`...)
	} else {
		l.buf = append(l.buf, "time="...)
		l.buf = appendMillis(l.buf, t)
		l.buf = append(l.buf, " level="...)
		l.buf = append(l.buf, level.String()...)
		l.buf = append(l.buf, " msg="...)
	}
	l.value(msg)
}

func (l *line) key(k string) {
	if l.json {
		l.buf = append(l.buf, ',')
		l.value(k)
		l.buf = append(l.buf, ':')
		return
	}
	l.buf = append(l.buf, ' ')
	l.value(k)
	l.buf = append(l.buf, '=')
}

// value appends a string, quoted as the handler would quote it.
func (l *line) value(s string) {
	switch {
	case l.json:
		l.buf = append(l.buf, '"')
		l.buf = appendJSONString(l.buf, s)
		l.buf = append(l.buf, '"')
	case textNeedsQuoting(s):
		l.buf = strconv.AppendQuote(l.buf, s)
	default:
		l.buf = append(l.buf, s...)
	}
}

func (l *line) str(k, v string) { l.key(k); l.value(v) }

func (l *line) int(k string, v int64) { l.key(k); l.buf = strconv.AppendInt(l.buf, v, 10) }

// dur: JSON has nanoseconds, as json.Marshal would; text has
// Duration.String.
func (l *line) dur(k string, v time.Duration) {
	l.key(k)
	if l.json {
		l.buf = strconv.AppendInt(l.buf, int64(v), 10)
		return
	}
	l.buf = appendDuration(l.buf, v)
}

func (l *line) boolean(k string, v bool) { l.key(k); l.buf = strconv.AppendBool(l.buf, v) }

func (l *line) end() {
	if l.json {
		l.buf = append(l.buf, '}')
	}
	l.buf = append(l.buf, '\n')
}
