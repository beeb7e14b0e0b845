package mirror

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// gathered holds the gathered metric families by name.
type gathered map[string]*dto.MetricFamily

func gatherSums(g prometheus.Gatherer) gathered {
	out := gathered{}
	fams, _ := g.Gather()
	for _, f := range fams {
		out[f.GetName()] = f
	}
	return out
}

// get sums a counter's or gauge's series whose label has value (all
// series when label is "").
func (g gathered) get(name, label, value string) float64 {
	var sum float64
	for _, m := range g[name].GetMetric() {
		if label == "" || labelValue(m, label) == value {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
	}
	return sum
}

// byLabel returns a gauge's value per value of label.
func (g gathered) byLabel(name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, m := range g[name].GetMetric() {
		out[labelValue(m, label)] = m.GetGauge().GetValue()
	}
	return out
}

func labelValue(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}

// humanBytes formats a byte count with binary units, as people read disks.
func humanBytes(n any) string {
	var v float64
	switch x := n.(type) {
	case int64:
		v = float64(x)
	case float64:
		v = x
	}
	units := []string{"B", "KiB", "MiB", "GiB", "TiB"}
	i := 0
	for v >= 1024 && i < len(units)-1 {
		v /= 1024
		i++
	}
	if i == 0 {
		return strconv.FormatFloat(v, 'f', 0, 64) + " B"
	}
	return formatFloat(v, 1) + " " + units[i]
}

func formatFloat(f float64, prec int) string { return strconv.FormatFloat(f, 'f', prec, 64) }
