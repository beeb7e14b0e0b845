package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// opsHTTPTimeout bounds one request of the ops tests; only the shutdown
// test streams for long, and it sets its own.
const opsHTTPTimeout = 60 * time.Second

// opsGet sends one request with header pairs ("Accept", "…") and reads
// the whole answer.
func opsGet(t *testing.T, method, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	h := http.Header{}
	for i := 0; i+1 < len(header); i += 2 {
		h.Set(header[i], header[i+1])
	}
	return httpDoWithin(t, opsHTTPTimeout, method, url, h)
}

// opsAcceptAll is what docker and containerd send when pulling by tag.
const opsAcceptAll = "application/vnd.oci.image.index.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, " +
	"application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"

// scrape reads base's /metrics as Prometheus would, and returns the text
// too.
func opsScrape(t *testing.T, base string) (promFamilies, string) {
	t.Helper()
	resp, body := opsGet(t, http.MethodGet, base+"/metrics")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics: %d %s", resp.StatusCode, body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams, string(body)
}

// hubmirrorSample is the hubmirror_ series of a scrape without histogram
// buckets: the lines a person reads.
func hubmirrorSample(text string) string {
	var keep []string
	for _, line := range strings.Split(text, "\n") {
		name, _, _ := strings.Cut(line, "{")
		name, _, _ = strings.Cut(name, " ")
		if strings.HasPrefix(name, "hubmirror_") && !strings.HasSuffix(name, "_bucket") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

type promFamilies map[string]*dto.MetricFamily

// sum adds up the series of a counter or gauge whose labels include every
// pair in match ("label", "value", …).
func (f promFamilies) sum(name string, match ...string) float64 {
	var total float64
	for _, m := range f[name].GetMetric() {
		if seriesHasLabels(m, match) {
			total += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return total
}

func seriesHasLabels(m *dto.Metric, match []string) bool {
	for i := 0; i+1 < len(match); i += 2 {
		found := false
		for _, l := range m.GetLabel() {
			found = found || (l.GetName() == match[i] && l.GetValue() == match[i+1])
		}
		if !found {
			return false
		}
	}
	return true
}

// opsLogRecord is one line of hubmirror's --log-format json output.
type opsLogRecord map[string]any

func (r opsLogRecord) str(key string) string {
	s, _ := r[key].(string)
	return s
}

func (r opsLogRecord) num(key string) (float64, bool) {
	n, ok := r[key].(float64)
	return n, ok
}

// jsonLog reads a --log-format json log. Every line must be a JSON object:
// log shippers drop or mangle anything else.
func opsJSONLog(t *testing.T, path string) []opsLogRecord {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var recs []opsLogRecord
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r opsLogRecord
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Errorf("log line is not JSON: %q", sc.Text())
			continue
		}
		recs = append(recs, r)
	}
	return recs
}
