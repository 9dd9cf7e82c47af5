package figure

import (
	"fmt"
	"image/color"
	"math"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// A Series is one curve: Y[i] is the estimate at X[i]. X need not be sorted;
// points are joined in increasing X. A point with a NaN centre is missing
// and breaks the line.
type Series struct {
	Label string
	X     []float64
	Y     []Interval
}

// MaxErrorBarPoints is the largest number of points a series may have for
// Lines to draw its intervals as error bars; longer series get a shaded band.
// Swept parameters have few values, and a band between them would suggest
// estimates that were never made; learning curves have many.
const MaxErrorBarPoints = 12

// bandAlpha is the opacity of interval bands.
const bandAlpha = 0.22

// Lines plots each series as a line (distinct colour, dash pattern and
// marker) with its intervals: error bars when the series has at most
// MaxErrorBarPoints points, a shaded band otherwise. When several series
// have error bars, they are dodged sideways by a small fraction of the
// spacing between x values so that bars at the same x stay distinct.
// Typical uses: learning curves (x = environment steps) and sweep curves
// (x = the swept parameter's value).
func Lines(title, xLabel, yLabel string, series []Series) (*plot.Plot, error) {
	if len(series) == 0 {
		return nil, fmt.Errorf("figure: Lines %q: no series: %w", title, ErrEmpty)
	}
	type point struct {
		x float64
		y Interval
	}
	pts := make([][]point, len(series))
	for i, s := range series {
		if len(s.X) != len(s.Y) {
			return nil, fmt.Errorf("figure: Lines %q: series %q has %d x values and %d y values", title, s.Label, len(s.X), len(s.Y))
		}
		n := 0
		for j, x := range s.X {
			if math.IsNaN(x) || math.IsInf(x, 0) {
				return nil, fmt.Errorf("figure: Lines %q: series %q: x[%d] = %v", title, s.Label, j, x)
			}
			if err := s.Y[j].check(); err != nil {
				return nil, fmt.Errorf("figure: Lines %q: series %q: y[%d]: %v", title, s.Label, j, err)
			}
			if !math.IsNaN(s.Y[j].Centre) {
				n++
			}
			pts[i] = append(pts[i], point{x, s.Y[j]})
		}
		if n == 0 {
			return nil, fmt.Errorf("figure: Lines %q: series %q has no finite value: %w", title, s.Label, ErrEmpty)
		}
		slices.SortStableFunc(pts[i], func(a, b point) int { return cmpFloat(a.x, b.x) })
	}

	// Dodge error bars by a fraction of the smallest spacing of x values.
	var xs []float64
	for _, ps := range pts {
		for _, p := range ps {
			xs = append(xs, p.x)
		}
	}
	slices.Sort(xs)
	xs = slices.Compact(xs)
	spacing := math.Inf(1)
	for j := 1; j < len(xs); j++ {
		spacing = math.Min(spacing, xs[j]-xs[j-1])
	}
	bars := 0
	for _, ps := range pts {
		if len(ps) <= MaxErrorBarPoints {
			bars++
		}
	}
	step := 0.0
	if bars > 1 && !math.IsInf(spacing, 1) {
		step = spacing * math.Min(0.06, 0.3/float64(bars-1))
	}

	p := newPlot(title, xLabel, yLabel)
	grid := plotter.NewGrid()
	grid.Horizontal.Color, grid.Vertical.Color = gridColour, gridColour
	p.Add(grid)
	var bands, lines, marks []plot.Plotter
	k := 0 // index among series with error bars
	for i, ps := range pts {
		ls, gs := lineStyle(i), glyphStyle(i)
		errBars := len(ps) <= MaxErrorBarPoints
		dx := 0.0
		if errBars {
			dx = (float64(k) - float64(bars-1)/2) * step
			k++
		}
		// Runs of consecutive points with a centre, and within them of
		// points with an interval.
		var line plotter.XYs
		var band []point
		var eb errorBars
		nBands := 0
		var lone plotter.XYs // points without a neighbour to join
		flushLine := func() {
			if len(line) == 1 && !errBars {
				lone = append(lone, line[0])
			}
			if len(line) > 1 {
				l, _ := plotter.NewLine(line)
				l.LineStyle = ls
				lines = append(lines, l)
			}
			line = nil
		}
		flushBand := func() {
			if len(band) > 1 {
				poly := make(plotter.XYs, 0, 2*len(band))
				for _, b := range band {
					poly = append(poly, plotter.XY{X: b.x, Y: b.y.Hi})
				}
				for j := len(band) - 1; j >= 0; j-- {
					poly = append(poly, plotter.XY{X: band[j].x, Y: band[j].y.Lo})
				}
				pg, _ := plotter.NewPolygon(poly)
				pg.Color = withAlpha(colourOf(i), bandAlpha)
				pg.LineStyle.Width = 0
				bands = append(bands, pg)
				nBands++
			} else if len(band) == 1 {
				// A lone interval in a band series: an error bar.
				eb.add(band[0].x, band[0].y)
			}
			band = nil
		}
		for _, pt := range ps {
			x := pt.x + dx
			if math.IsNaN(pt.y.Centre) {
				flushLine()
				flushBand()
				continue
			}
			line = append(line, plotter.XY{X: x, Y: pt.y.Centre})
			if errBars {
				lone = append(lone, plotter.XY{X: x, Y: pt.y.Centre})
			}
			switch {
			case !pt.y.hasInterval():
				flushBand()
			case errBars:
				eb.add(x, pt.y)
			default:
				band = append(band, point{x, pt.y})
			}
		}
		flushLine()
		flushBand()
		if len(eb.xys) > 0 {
			b, err := plotter.NewYErrorBars(eb)
			if err != nil {
				return nil, fmt.Errorf("figure: Lines %q: series %q: %v", title, series[i].Label, err)
			}
			b.LineStyle = draw.LineStyle{Color: colourOf(i), Width: vg.Points(1.5)}
			b.CapWidth = vg.Points(8)
			marks = append(marks, b)
		}
		// Markers on every point of short series; long series get markers
		// only on points that the line does not show.
		if len(lone) > 0 {
			s, _ := plotter.NewScatter(lone)
			s.GlyphStyle = gs
			marks = append(marks, s)
		}
		th := thumb{line: ls}
		if len(lone) > 0 {
			th.glyph = gs
		}
		th.errBar = len(eb.xys) > 0
		if nBands > 0 {
			th.band = withAlpha(colourOf(i), bandAlpha)
		}
		p.Legend.Add(series[i].Label, th)
	}
	p.Add(bands...)
	p.Add(lines...)
	p.Add(marks...)
	legendOutside(p)
	return p, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// errorBars implements plotter.XYer and plotter.YErrorer.
type errorBars struct {
	xys  plotter.XYs
	errs plotter.YErrors
}

func (e *errorBars) add(x float64, v Interval) {
	e.xys = append(e.xys, plotter.XY{X: x, Y: v.Centre})
	e.errs = append(e.errs, struct{ Low, High float64 }{v.Centre - v.Lo, v.Hi - v.Centre})
}

func (e errorBars) Len() int                        { return len(e.xys) }
func (e errorBars) XY(i int) (float64, float64)     { return e.xys[i].X, e.xys[i].Y }
func (e errorBars) YError(i int) (float64, float64) { return e.errs[i].Low, e.errs[i].High }

// thumb is a legend thumbnail: an optional band behind a line, with an
// optional error bar and marker in the middle.
type thumb struct {
	line   draw.LineStyle
	band   color.Color
	glyph  draw.GlyphStyle
	errBar bool
}

func (t thumb) Thumbnail(c *draw.Canvas) {
	mid := c.Center()
	if t.band != nil {
		h := (c.Max.Y - c.Min.Y) * 0.45
		c.FillPolygon(t.band, []vg.Point{
			{X: c.Min.X, Y: mid.Y - h}, {X: c.Max.X, Y: mid.Y - h},
			{X: c.Max.X, Y: mid.Y + h}, {X: c.Min.X, Y: mid.Y + h},
		})
	}
	c.StrokeLine2(t.line, c.Min.X, mid.Y, c.Max.X, mid.Y)
	if t.errBar {
		s := draw.LineStyle{Color: t.line.Color, Width: vg.Points(1.5)}
		h := (c.Max.Y - c.Min.Y) * 0.5
		c.StrokeLine2(s, mid.X, mid.Y-h, mid.X, mid.Y+h)
	}
	if t.glyph.Shape != nil {
		c.DrawGlyphNoClip(t.glyph, mid)
	}
}
