package deploy

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"testing"

	"github.com/hubmirror/hubmirror/metrics"
)

// dashboard is the part of Grafana's dashboard JSON the tests read.
type dashboard struct {
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name       string          `json:"name"`
			Type       string          `json:"type"`
			Definition string          `json:"definition"`
			Query      json.RawMessage `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	Title      string      `json:"title"`
	Type       string      `json:"type"`
	Datasource *datasource `json:"datasource"`
	Targets    []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

type datasource struct {
	UID string `json:"uid"`
}

func readDashboard(t *testing.T) dashboard {
	t.Helper()
	b, err := os.ReadFile("grafana/hubmirror.json")
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("grafana/hubmirror.json: %v", err)
	}
	return d
}

// Every query on the dashboard selects metrics hubmirror exports: a renamed
// metric must not leave a panel silently showing "No data".
func TestDashboardQueriesUseExportedMetrics(t *testing.T) {
	known := metrics.Names()
	used := map[string]bool{}
	for _, p := range readDashboard(t).Panels {
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			names := metricNames(tg.Expr)
			if len(names) == 0 {
				t.Errorf("panel %q: no metric found in %q", p.Title, tg.Expr)
			}
			if n := unknownMetric(names, known); n != "" {
				t.Errorf("panel %q queries %s, which hubmirror does not export (expr %q)", p.Title, n, tg.Expr)
			}
			for _, n := range names {
				used[histogramFamily(n)] = true
			}
		}
	}
	assertCovers(t, used)
}

// assertCovers checks the dashboard answers what the issue asks of it:
// hit ratio, bytes saved, upstream traffic, fills, time to first byte,
// evictions, rate limit, request rate and latency.
func assertCovers(t *testing.T, used map[string]bool) {
	t.Helper()
	for _, want := range []string{
		"hubmirror_cache_lookups_total",
		"hubmirror_served_bytes_total",
		"hubmirror_upstream_bytes_total",
		"hubmirror_fills_in_flight",
		"hubmirror_fill_first_byte_seconds",
		"hubmirror_cache_evictions_total",
		"hubmirror_upstream_ratelimit_remaining",
		"hubmirror_http_requests_total",
		"hubmirror_http_request_duration_seconds",
	} {
		if !used[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
}

var labelValuesRe = regexp.MustCompile(`label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*,`)

// The variables' queries name exported metrics too, and every panel uses
// the datasource variable, so importing the dashboard needs one choice.
func TestDashboardVariables(t *testing.T) {
	d := readDashboard(t)
	known := metrics.Names()
	var vars []string
	for _, v := range d.Templating.List {
		vars = append(vars, v.Name)
		if v.Type != "query" {
			continue
		}
		m := labelValuesRe.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Errorf("variable %s: query %q is not label_values(metric, label)", v.Name, v.Definition)
			continue
		}
		if !slices.Contains(known, m[1]) {
			t.Errorf("variable %s reads %s, which hubmirror does not export", v.Name, m[1])
		}
	}
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		if p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q does not use the ${datasource} variable: %+v", p.Title, p.Datasource)
		}
	}
	if !slices.Contains(vars, "datasource") {
		t.Errorf("no datasource variable; variables: %v", vars)
	}
}

// The name extraction the dashboard test relies on finds metrics where
// PromQL puts them and nothing else, and reports an unknown one.
func TestMetricNames(t *testing.T) {
	cases := []struct {
		expr string
		want []string
	}{
		{`hubmirror_fills_in_flight`, []string{"hubmirror_fills_in_flight"}},
		{`sum by (kind, result) (rate(hubmirror_cache_lookups_total{result=~"hit|stale",x="a{b}"}[$__rate_interval]))`, []string{"hubmirror_cache_lookups_total"}},
		{`histogram_quantile(0.99, sum by (le) (rate(hubmirror_fill_first_byte_seconds_bucket[5m])))`, []string{"hubmirror_fill_first_byte_seconds_bucket"}},
		{`a_total / on (instance) group_left b_total offset 1h > bool 1e3`, []string{"a_total", "b_total"}},
		{`sum without (code) (rate(x[1m])) unless y`, []string{"x", "y"}},
	}
	for _, c := range cases {
		if got := metricNames(c.expr); !slices.Equal(got, c.want) {
			t.Errorf("metricNames(%q) = %q, want %q", c.expr, got, c.want)
		}
	}
	known := []string{"hubmirror_fill_first_byte_seconds", "go_goroutines"}
	if n := unknownMetric([]string{"hubmirror_fill_first_byte_seconds_count", "go_goroutines"}, known); n != "" {
		t.Errorf("unknownMetric flagged %s, a histogram series of a known family", n)
	}
	if n := unknownMetric([]string{"go_goroutines", "hubmirror_fill_first_bytes_seconds_bucket"}, known); n != "hubmirror_fill_first_bytes_seconds_bucket" {
		t.Errorf("unknownMetric missed a misspelt histogram, returned %q", n)
	}
}
