package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// writeScaleCharts draws one chart per figure into dir and links them.
// Both axes are logarithmic, so linear growth is a line of slope 1: the
// dashed line is that, from the smallest cache's figure, and a curve that
// stays on or under it grows no faster than linearly.
func writeScaleCharts(b *strings.Builder, pts []*scalePoint, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		logf("scenario 10: charts: %v", err)
		return
	}
	var links []string
	for _, f := range scaleFigures {
		name := "scale-" + f.key + ".svg"
		if err := drawScaleChart(f, pts, filepath.Join(dir, name)); err != nil {
			logf("scenario 10: chart %s: %v", name, err)
			continue
		}
		links = append(links, fmt.Sprintf("![%s by cache size](%s)", f.title, name))
	}
	fmt.Fprintf(b, "%s\n\n", strings.Join(links, "\n"))
}

func drawScaleChart(f scaleFigure, pts []*scalePoint, path string) error {
	var measured, linear plotter.XYs
	for _, p := range pts {
		vs := f.values(p)
		if len(vs) == 0 {
			continue
		}
		measured = append(measured, plotter.XY{X: float64(p.shape.blobs), Y: median(vs)})
	}
	if len(measured) < 2 {
		return fmt.Errorf("fewer than two sizes measured")
	}
	for _, m := range measured {
		linear = append(linear, plotter.XY{X: m.X, Y: measured[0].Y * m.X / measured[0].X})
	}
	p := plot.New()
	p.Title.Text = f.title
	p.X.Label.Text, p.Y.Label.Text = "blobs in the cache", f.unit
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker, p.Y.Tick.Marker = plot.LogTicks{Prec: -1}, plot.LogTicks{Prec: -1}
	line, points, err := plotter.NewLinePoints(measured)
	if err != nil {
		return err
	}
	points.Shape = draw.CircleGlyph{}
	ref, err := plotter.NewLine(linear)
	if err != nil {
		return err
	}
	ref.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	p.Add(plotter.NewGrid(), ref, line, points)
	p.Legend.Add("median", line, points)
	p.Legend.Add("linear from the smallest", ref)
	p.Legend.Top, p.Legend.Left = true, true
	return p.Save(5*vg.Inch, 3.5*vg.Inch, path)
}
