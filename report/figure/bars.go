package figure

import (
	"fmt"
	"image/color"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Bars plots grouped bars with error bars: one cluster per category along
// the x axis, one bar per group in each cluster, groups told apart by
// colour (and lightness, for grayscale) and named in the legend. For
// outcome shares, categories are the outcomes and groups the
// optimizer × family cells of one split. When every value and bound lies in
// [0, 1], the y axis spans exactly [0, 1] so that shares compare across
// figures; otherwise it spans the data and 0. A NaN centre leaves its bar
// out.
func Bars(title, yLabel string, categories []string, groups []Group) (*plot.Plot, error) {
	if err := checkGroups("Bars", title, "categories", categories, groups); err != nil {
		return nil, err
	}
	p := newPlot(title, "", yLabel)
	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal.Color = gridColour
	p.Add(grid)
	b := newBarSet(groups, len(categories), false)
	p.Add(b)
	p.NominalX(categories...)
	p.X.Tick.Label.Font = sans(labelSize)
	p.X.Min, p.X.Max = -0.5, float64(len(categories))-0.5
	lo, hi := b.valueRange()
	if lo >= 0 && hi <= 1 {
		p.Y.Min, p.Y.Max = 0, 1
	}
	for g, gr := range groups {
		p.Legend.Add(gr.Label, swatch{barColour(g)})
	}
	legendOutside(p)
	return p, nil
}

// Weights plots the planners' mesa-objective weights: one row of horizontal
// bars per feature (the first feature on top), one bar per group
// (optimizer) with its interval over seeds, and a line at zero. xLabel
// names the weights and their unit.
func Weights(title, xLabel string, features []string, groups []Group) (*plot.Plot, error) {
	if err := checkGroups("Weights", title, "features", features, groups); err != nil {
		return nil, err
	}
	p := newPlot(title, xLabel, "")
	grid := plotter.NewGrid()
	grid.Horizontal.Color = nil
	grid.Vertical.Color = gridColour
	p.Add(grid)
	b := newBarSet(groups, len(features), true)
	p.Add(zeroLine{}, b)
	names := make([]string, len(features))
	for i, f := range features {
		names[len(features)-1-i] = f
	}
	p.NominalY(names...)
	p.Y.Tick.Label.Font = sans(labelSize)
	p.Y.Min, p.Y.Max = -0.5, float64(len(features))-0.5
	// Keep zero inside the axis with a margin on the side without bars.
	lo, hi := b.valueRange()
	pad := 0.05 * (hi - lo)
	p.X.Min, p.X.Max = lo-pad, hi+pad
	for g, gr := range groups {
		p.Legend.Add(gr.Label, swatch{barColour(g)})
	}
	legendOutside(p)
	return p, nil
}

// checkGroups validates the groups of Bars and Weights against their
// categories.
func checkGroups(fn, title, what string, cats []string, groups []Group) error {
	if len(cats) == 0 {
		return fmt.Errorf("figure: %s %q: no %s: %w", fn, title, what, ErrEmpty)
	}
	if len(groups) == 0 {
		return fmt.Errorf("figure: %s %q: no groups: %w", fn, title, ErrEmpty)
	}
	n := 0
	for _, g := range groups {
		if len(g.Values) != len(cats) {
			return fmt.Errorf("figure: %s %q: group %q has %d values for %d %s", fn, title, g.Label, len(g.Values), len(cats), what)
		}
		for i, v := range g.Values {
			if err := v.check(); err != nil {
				return fmt.Errorf("figure: %s %q: group %q, %s: %v", fn, title, g.Label, cats[i], err)
			}
			if !math.IsNaN(v.Centre) {
				n++
			}
		}
	}
	if n == 0 {
		return fmt.Errorf("figure: %s %q: every value is NaN: %w", fn, title, ErrEmpty)
	}
	return nil
}

// Bar colours: the series colours ordered so that consecutive bars
// alternate dark and light, which keeps them apart in grayscale.
var barColours = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue, dark
	{0xE6, 0x9F, 0x00, 0xFF}, // orange, light
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green, mid
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue, light
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion, mid-dark
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple, mid-light
	{0x40, 0x40, 0x40, 0xFF}, // dark gray
	{0xF0, 0xE4, 0x42, 0xFF}, // yellow, lightest
}

func barColour(g int) color.RGBA { return barColours[g%len(barColours)] }

// clusterWidth is the share of a category's slot taken by its bars.
const clusterWidth = 0.8

// barSet draws values[g][c], group g's bar in category c, vertical (the
// category on x) or horizontal (the category on y, category 0 on top).
type barSet struct {
	values     [][]Interval
	n          int
	horizontal bool
}

func newBarSet(groups []Group, n int, horizontal bool) *barSet {
	b := &barSet{n: n, horizontal: horizontal}
	for _, g := range groups {
		b.values = append(b.values, append([]Interval(nil), g.Values...))
	}
	return b
}

// slot returns the centre of group g's bar in category c on the category
// axis, and the bar's width.
func (b *barSet) slot(g, c int) (pos, width float64) {
	k := len(b.values)
	width = clusterWidth / float64(k)
	off := -clusterWidth/2 + (float64(g)+0.5)*width
	if b.horizontal {
		return float64(b.n-1-c) - off, width
	}
	return float64(c) + off, width
}

// valueRange returns the range of centres and bounds, including 0.
func (b *barSet) valueRange() (lo, hi float64) {
	for _, vs := range b.values {
		for _, v := range vs {
			if math.IsNaN(v.Centre) {
				continue
			}
			finiteRange(&lo, &hi, v.Centre)
			finiteRange(&lo, &hi, v.Lo)
			finiteRange(&lo, &hi, v.Hi)
		}
	}
	return lo, hi
}

func (b *barSet) DataRange() (xmin, xmax, ymin, ymax float64) {
	lo, hi := b.valueRange()
	if b.horizontal {
		return lo, hi, -0.5, float64(b.n) - 0.5
	}
	return -0.5, float64(b.n) - 0.5, lo, hi
}

func (b *barSet) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	// pt maps (category-axis, value-axis) coordinates to the canvas.
	pt := func(pos, val float64) vg.Point {
		if b.horizontal {
			return vg.Point{X: tx(val), Y: ty(pos)}
		}
		return vg.Point{X: tx(pos), Y: ty(val)}
	}
	outline := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	errStyle := draw.LineStyle{Color: color.Black, Width: vg.Points(1.4)}
	for g, vs := range b.values {
		for ci, v := range vs {
			if math.IsNaN(v.Centre) {
				continue
			}
			pos, w := b.slot(g, ci)
			r := []vg.Point{pt(pos-w/2, 0), pt(pos+w/2, 0), pt(pos+w/2, v.Centre), pt(pos-w/2, v.Centre)}
			c.FillPolygon(barColour(g), c.ClipPolygonXY(r))
			c.StrokeLines(outline, c.ClipLinesXY(append(r, r[0]))...)
			if !v.hasInterval() {
				continue
			}
			cw := w * 0.35
			c.StrokeLines(errStyle, c.ClipLinesXY(
				[]vg.Point{pt(pos, v.Lo), pt(pos, v.Hi)},
				[]vg.Point{pt(pos-cw/2, v.Lo), pt(pos+cw/2, v.Lo)},
				[]vg.Point{pt(pos-cw/2, v.Hi), pt(pos+cw/2, v.Hi)},
			)...)
		}
	}
}

// zeroLine draws the vertical line x = 0 across the data area.
type zeroLine struct{}

func (zeroLine) Plot(c draw.Canvas, p *plot.Plot) {
	tx, _ := p.Transforms(&c)
	x := tx(0)
	if x < c.Min.X || x > c.Max.X {
		return
	}
	c.StrokeLine2(draw.LineStyle{Color: color.Black, Width: vg.Points(1)}, x, c.Min.Y, x, c.Max.Y)
}

// swatch is a legend thumbnail: a filled, outlined box.
type swatch struct{ fill color.Color }

func (s swatch) Thumbnail(c *draw.Canvas) {
	h := (c.Max.Y - c.Min.Y) * 0.9
	w := math.Min(float64(c.Max.X-c.Min.X), float64(h)*1.6)
	mid := c.Center()
	r := []vg.Point{
		{X: mid.X - vg.Length(w)/2, Y: mid.Y - h/2}, {X: mid.X + vg.Length(w)/2, Y: mid.Y - h/2},
		{X: mid.X + vg.Length(w)/2, Y: mid.Y + h/2}, {X: mid.X - vg.Length(w)/2, Y: mid.Y + h/2},
	}
	c.FillPolygon(s.fill, r)
	c.StrokeLines(draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}, append(r, r[0]))
}
