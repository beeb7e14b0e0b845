package metrics

import (
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
)

// Names lists every metric family New registers, the Go and process
// collectors' included, sorted. Dashboards and docs are checked against
// it: a Vec with no series yet is absent from a Gather, so gathering
// cannot tell an unused metric from a misspelt one.
func Names() []string {
	var rec recorder
	New(&rec)
	descs := make(chan *prometheus.Desc)
	go func() {
		for _, c := range rec.collectors {
			c.Describe(descs)
		}
		close(descs)
	}()
	var names []string
	for d := range descs {
		if n := fqName(d); n != "" {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// recorder is a Registerer that only remembers what it was given.
type recorder struct{ collectors []prometheus.Collector }

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return nil
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	r.collectors = append(r.collectors, cs...)
}

func (r *recorder) Unregister(prometheus.Collector) bool { return false }

// fqName reads the name out of a Desc, which exports it only through
// String ("Desc{fqName: \"name\", help: …}").
func fqName(d *prometheus.Desc) string {
	_, rest, ok := strings.Cut(d.String(), `fqName: "`)
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, `"`)
	return name
}
