package mirror

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"
)

// accessCase is one request's access-line inputs.
type accessCase struct {
	name    string
	method  string
	path    string
	client  string
	rec     recorder
	took    time.Duration
	aborted bool
}

func accessCases() []accessCase {
	hit := recorder{status: 200, bytes: 1234, route: routeManifest.String(), cache: "hit"}
	all := recorder{status: 502, bytes: 0, route: routeBlob.String(), cache: "miss",
		upstream: 1500 * time.Millisecond, received: 77, err: errors.New(`upstream said "no": 502 Bad Gateway`)}
	return []accessCase{
		{"warm hit", "GET", "/v2/library/alpine/manifests/latest", "127.0.0.1", hit, 123456 * time.Nanosecond, false},
		{"every field", "PUT", "/v2/a/blobs/uploads/x", "10.0.0.7", all, 3*time.Minute + 7*time.Millisecond, true},
		{"no fields set", "GET", "/", "", recorder{route: routeUnknown.String()}, 0, false},
		{"space and quote", "HEAD", `/v2/a b/manifests/"x"`, "::1", hit, 999 * time.Nanosecond, false},
		{"equals and backslash", "GET", `/v2/a=b\c/tags/list`, "127.0.0.1", hit, time.Millisecond, false},
		{"unicode", "GET", "/v2/café/manifests/ü\u00a0x", "127.0.0.1", hit, 5200 * time.Microsecond, false},
		{"line separators", "GET", "/v2/x\u2028y\u2029z\n\r\t\x01\x7f", "127.0.0.1", hit, 1, false},
		{"invalid utf-8", "GET", "/v2/\xff\xfe/manifests/\xc3", "127.0.0.1", hit, 999999999, false},
		{"html characters", "GET", "/v2/<a>&b/manifests/latest", "127.0.0.1", hit, time.Second, false},
		{"upstream only", "GET", "/v2/a/manifests/b", "127.0.0.1",
			recorder{status: 200, bytes: 5, route: routeManifest.String(), upstream: 30 * time.Microsecond}, 31 * time.Microsecond, false},
		{"error only", "GET", "/v2/a/blobs/b", "127.0.0.1",
			recorder{status: 404, route: routeBlob.String(), err: errors.New("")}, 2 * time.Hour, false},
	}
}

// slogLine is what Log writes for c at t: the Record Logger.LogAttrs
// builds, handed to a fresh handler.
func slogLine(t *testing.T, h func(*bytes.Buffer) slog.Handler, at time.Time, c *accessCase) string {
	t.Helper()
	var buf bytes.Buffer
	var attrs attrList
	r := httptest.NewRequest(c.method, "/", nil)
	r.URL = &url.URL{Path: c.path}
	requestFields(&attrs, r, c.client, &c.rec, c.took, c.aborted)
	rec := slog.NewRecord(at, requestLevel(c.aborted), "request", 0)
	rec.AddAttrs(attrs...)
	if err := h(&buf).Handle(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func fastLine(json bool, at time.Time, c *accessCase) string {
	var buf bytes.Buffer
	r := httptest.NewRequest(c.method, "/", nil)
	r.URL = &url.URL{Path: c.path}
	a := &AccessLog{W: &buf, JSON: json, Level: slog.LevelDebug}
	a.write(at, r, c.client, &c.rec, c.took, c.aborted)
	return buf.String()
}

var lineFormats = []struct {
	name    string
	json    bool
	handler func(*bytes.Buffer) slog.Handler
}{
	{"text", false, func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	{"json", true, func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
}

// The access line AccessLog writes is byte for byte the one slog's
// handler writes, for odd paths, every field set or unset, and times
// whose fractions slog trims.
func TestAccessLineMatchesSlog(t *testing.T) {
	times := []time.Time{
		time.Date(2026, 12, 1, 11, 25, 53, 123456789, time.UTC),
		time.Date(2026, 12, 1, 11, 25, 53, 0, time.UTC),
		time.Date(2026, 1, 2, 3, 4, 5, 999999999, time.FixedZone("x", -(5*3600+30*60))),
		time.Date(2026, 1, 2, 3, 4, 5, 100000, time.FixedZone("y", 3600)),
	}
	for _, f := range lineFormats {
		for _, c := range accessCases() {
			for _, at := range times {
				want := slogLine(t, f.handler, at, &c)
				if got := fastLine(f.json, at, &c); got != want {
					t.Errorf("%s, %s, %v:\n got %q\nwant %q", f.name, c.name, at, got, want)
				}
			}
		}
	}
}

// appendDuration is Duration.String, around each unit's edges.
func TestAppendDurationIsString(t *testing.T) {
	for _, d := range []time.Duration{0, 1, 9, 10, 999, 1000, 1001, 1010, 1100, 12345, 999999, 1000000,
		1000001, 1234500, 999999999, time.Second, -1, -1500, 90 * time.Minute} {
		if got := string(appendDuration(nil, d)); got != d.String() {
			t.Errorf("%d: %q, want %q", int64(d), got, d.String())
		}
	}
	for d := time.Duration(1); d < time.Second; d = d*3 + 7 {
		if got := string(appendDuration(nil, d)); got != d.String() {
			t.Errorf("%d: %q, want %q", int64(d), got, d.String())
		}
	}
}

// A warm hit's line allocates nothing: the buffer comes from the pool
// and the fields are appended, not boxed into slog attributes.
func TestAccessLineAllocatesNothing(t *testing.T) {
	c := accessCases()[0]
	r := httptest.NewRequest(c.method, c.path, nil)
	a := &AccessLog{W: &discardWriter{}, Level: slog.LevelInfo}
	now := time.Now()
	if n := testing.AllocsPerRun(200, func() { a.write(now, r, c.client, &c.rec, c.took, false) }); n != 0 {
		t.Errorf("%v allocations per access line, want 0", n)
	}
}

// Lines below the level are not written; warnings are flushed at once
// when they are urgent, info lines are left to the sink's interval.
func TestAccessLineLevelAndFlush(t *testing.T) {
	var buf bytes.Buffer
	flushes := 0
	a := &AccessLog{W: &buf, Level: slog.LevelWarn, Urgent: slog.LevelWarn,
		Flush: func() error { flushes++; return nil }}
	c := accessCases()[0]
	r := httptest.NewRequest(c.method, c.path, nil)
	a.write(time.Now(), r, c.client, &c.rec, c.took, false)
	if buf.Len() != 0 || flushes != 0 {
		t.Fatalf("info line below warn level: wrote %q, %d flushes", buf.String(), flushes)
	}
	a.write(time.Now(), r, c.client, &c.rec, c.took, true)
	if !bytes.Contains(buf.Bytes(), []byte("level=WARN")) || flushes != 1 {
		t.Errorf("aborted line: wrote %q, %d flushes, want one WARN line and 1 flush", buf.String(), flushes)
	}
}

type discardWriter struct{ n int }

func (d *discardWriter) Write(p []byte) (int, error) { d.n += len(p); return len(p), nil }

func FuzzAccessLineMatchesSlog(f *testing.F) {
	f.Add("/v2/a b/manifests/\"x\"", "boom", int64(123456))
	f.Add("/v2/\xff\u2028", "", int64(1))
	f.Fuzz(func(t *testing.T, path, msg string, took int64) {
		c := accessCases()[1]
		c.path, c.rec.err, c.took = path, errors.New(msg), time.Duration(took)
		at := time.Unix(0, took).UTC()
		for _, fm := range lineFormats {
			if got, want := fastLine(fm.json, at, &c), slogLine(t, fm.handler, at, &c); got != want {
				t.Errorf("%s:\n got %q\nwant %q", fm.name, got, want)
			}
		}
	})
}
