package figure

import (
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Heatmap plots values[r][c] as a grid of coloured cells, row 0 on top, with
// the row and column names as tick labels, each value printed in its cell
// when the cell is large enough, and a colour scale, labelled zLabel, to the
// right. Colours span [lo, hi]; values outside are drawn at the nearest end.
// When lo < 0 < hi the scale diverges from white at 0 (blue below, red
// above); otherwise it is sequential (viridis, light for high values), which
// both read in grayscale. A NaN value is a missing cell, drawn light gray
// and marked n/a. Typical use: attribution per agent (rows) and candidate
// objective (columns).
func Heatmap(title, xLabel, yLabel, zLabel string, rows, cols []string, values [][]float64, lo, hi float64) (*plot.Plot, error) {
	switch {
	case len(rows) == 0 || len(cols) == 0:
		return nil, fmt.Errorf("figure: Heatmap %q: %d rows and %d columns: %w", title, len(rows), len(cols), ErrEmpty)
	case len(values) != len(rows):
		return nil, fmt.Errorf("figure: Heatmap %q: %d rows of values for %d row names", title, len(values), len(rows))
	case !(lo < hi) || math.IsInf(lo, 0) || math.IsInf(hi, 0):
		return nil, fmt.Errorf("figure: Heatmap %q: colour range [%v, %v] is not a finite, non-empty interval", title, lo, hi)
	}
	cells := make([][]float64, len(rows))
	n := 0
	for r, vs := range values {
		if len(vs) != len(cols) {
			return nil, fmt.Errorf("figure: Heatmap %q: row %q has %d values for %d columns", title, rows[r], len(vs), len(cols))
		}
		for c, v := range vs {
			if math.IsInf(v, 0) {
				return nil, fmt.Errorf("figure: Heatmap %q: value (%q, %q) is %v", title, rows[r], cols[c], v)
			}
			if !math.IsNaN(v) {
				n++
			}
		}
		cells[r] = append([]float64(nil), vs...)
	}
	if n == 0 {
		return nil, fmt.Errorf("figure: Heatmap %q: every value is NaN: %w", title, ErrEmpty)
	}

	p := newPlot(title, xLabel, yLabel)
	scale := colourScale{lo: lo, hi: hi, diverging: lo < 0 && hi > 0}
	h := &heatCells{values: cells, scale: scale, text: p.Legend.TextStyle}
	h.text.XAlign, h.text.YAlign = draw.XCenter, draw.YCenter
	p.Add(h)
	names := make([]string, len(rows))
	for i, r := range rows {
		names[len(rows)-1-i] = r
	}
	p.NominalX(cols...)
	p.NominalY(names...)
	p.X.Tick.Label.Font = sans(labelSize)
	p.Y.Tick.Label.Font = sans(labelSize)
	if longest(cols) > 6 && len(cols) > 4 {
		// Long column names would run into each other: slant them.
		p.X.Tick.Label.Rotation = math.Pi / 5
		p.X.Tick.Label.XAlign, p.X.Tick.Label.YAlign = draw.XRight, draw.YTop
	}
	p.X.Min, p.X.Max = -0.5, float64(len(cols))-0.5
	p.Y.Min, p.Y.Max = -0.5, float64(len(rows))-0.5
	p.X.Padding, p.Y.Padding = 0, 0
	p.Add(&colourBar{scale: scale, label: zLabel, ticks: p.Y.Tick.Label, title: p.Y.Label.TextStyle})
	return p, nil
}

// longest returns the length in runes of the longest name.
func longest(names []string) int {
	n := 0
	for _, s := range names {
		n = max(n, len([]rune(s)))
	}
	return n
}

// colourScale maps values in [lo, hi] to colours.
type colourScale struct {
	lo, hi    float64
	diverging bool
}

// viridis, sampled at 9 evenly spaced points.
var viridis = []color.RGBA{
	{0x44, 0x01, 0x54, 0xFF}, {0x47, 0x2D, 0x7B, 0xFF}, {0x3B, 0x52, 0x8B, 0xFF},
	{0x2C, 0x72, 0x8E, 0xFF}, {0x21, 0x91, 0x8C, 0xFF}, {0x28, 0xAE, 0x80, 0xFF},
	{0x5E, 0xC9, 0x62, 0xFF}, {0xAD, 0xDC, 0x30, 0xFF}, {0xFD, 0xE7, 0x25, 0xFF},
}

// rdBu is ColorBrewer's RdBu, blue for negative and red for positive.
var rdBu = []color.RGBA{
	{0x21, 0x66, 0xAC, 0xFF}, {0x43, 0x93, 0xC3, 0xFF}, {0x92, 0xC5, 0xDE, 0xFF},
	{0xD1, 0xE5, 0xF0, 0xFF}, {0xF7, 0xF7, 0xF7, 0xFF}, {0xFD, 0xDB, 0xC7, 0xFF},
	{0xF4, 0xA5, 0x82, 0xFF}, {0xD6, 0x60, 0x4D, 0xFF}, {0xB2, 0x18, 0x2B, 0xFF},
}

// missing is the colour of a NaN cell.
var missing = color.RGBA{0xE0, 0xE0, 0xE0, 0xFF}

// position returns where v falls on the scale, in [0, 1]: for a diverging
// scale 0.5 is zero and each side is scaled separately, so that white always
// means zero.
func (s colourScale) position(v float64) float64 {
	v = math.Max(s.lo, math.Min(s.hi, v))
	if !s.diverging {
		return (v - s.lo) / (s.hi - s.lo)
	}
	if v < 0 {
		return 0.5 - 0.5*v/s.lo
	}
	return 0.5 + 0.5*v/s.hi
}

func (s colourScale) colour(v float64) color.RGBA {
	if math.IsNaN(v) {
		return missing
	}
	stops := viridis
	if s.diverging {
		stops = rdBu
	}
	t := s.position(v) * float64(len(stops)-1)
	i := min(int(t), len(stops)-2)
	f := t - float64(i)
	a, b := stops[i], stops[i+1]
	mix := func(x, y uint8) uint8 { return uint8(math.Round(float64(x) + f*(float64(y)-float64(x)))) }
	return color.RGBA{mix(a.R, b.R), mix(a.G, b.G), mix(a.B, b.B), 0xFF}
}

// ink returns black or white, whichever reads better on c.
func ink(c color.RGBA) color.Color {
	if 0.299*float64(c.R)+0.587*float64(c.G)+0.114*float64(c.B) > 140 {
		return color.Black
	}
	return color.White
}

// format prints v with as many decimals as the scale's span needs.
func (s colourScale) format(v float64) string {
	span := s.hi - s.lo
	prec := max(0, min(4, 2-int(math.Floor(math.Log10(span)))))
	return strconv.FormatFloat(v, 'f', prec, 64)
}

// heatCells draws the cells of a heatmap, row 0 on top.
type heatCells struct {
	values [][]float64
	scale  colourScale
	text   text.Style
}

func (h *heatCells) DataRange() (xmin, xmax, ymin, ymax float64) {
	return -0.5, float64(len(h.values[0])) - 0.5, -0.5, float64(len(h.values)) - 0.5
}

func (h *heatCells) Plot(c draw.Canvas, p *plot.Plot) {
	tx, ty := p.Transforms(&c)
	nr := len(h.values)
	for r, vs := range h.values {
		y := float64(nr - 1 - r)
		for col, v := range vs {
			x := float64(col)
			x0, x1, y0, y1 := tx(x-0.5), tx(x+0.5), ty(y-0.5), ty(y+0.5)
			fill := h.scale.colour(v)
			c.FillPolygon(fill, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}})
			s := h.scale.format(v)
			if math.IsNaN(v) {
				s = "n/a"
			}
			sty := h.text
			sty.Color = ink(fill)
			pad := vg.Points(3)
			if sty.Width(s)+2*pad > x1-x0 || sty.Height(s)+2*pad > y1-y0 {
				continue
			}
			c.FillText(sty, vg.Point{X: (x0 + x1) / 2, Y: (y0 + y1) / 2}, s)
		}
	}
	// White lines between cells.
	sep := draw.LineStyle{Color: color.White, Width: vg.Points(1.5)}
	for r := 1; r < nr; r++ {
		y := ty(float64(r) - 0.5)
		c.StrokeLine2(sep, c.Min.X, y, c.Max.X, y)
	}
	for col := 1; col < len(h.values[0]); col++ {
		x := tx(float64(col) - 0.5)
		c.StrokeLine2(sep, x, c.Min.Y, x, c.Max.Y)
	}
}

// colourBar draws the colour scale to the right of the data area, in space
// that its glyph box reserves.
type colourBar struct {
	scale colourScale
	label string
	ticks text.Style // style of the tick labels
	title text.Style // style of the scale's label
}

const barWidth = vg.Length(14)

func (b *colourBar) tickValues() []float64 {
	step := niceStep(b.scale.hi-b.scale.lo, 5)
	var vs []float64
	for v := math.Ceil(b.scale.lo/step-1e-9) * step; v <= b.scale.hi+step*1e-9; v += step {
		if math.Abs(v) < step*1e-9 {
			v = 0
		}
		vs = append(vs, v)
	}
	return vs
}

func (b *colourBar) width() vg.Length {
	w := gap + barWidth + vg.Points(4)
	var lw vg.Length
	for _, v := range b.tickValues() {
		lw = max(lw, b.ticks.Width(b.scale.format(v)))
	}
	w += lw
	if b.label != "" {
		w += vg.Points(6) + b.title.Height(b.label)
	}
	return w
}

func (b *colourBar) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{X: 1, Y: 0.5, Rectangle: vg.Rectangle{Max: vg.Point{X: b.width()}}}}
}

func (b *colourBar) Plot(c draw.Canvas, _ *plot.Plot) {
	x0 := c.Max.X + gap
	x1 := x0 + barWidth
	y0, y1 := c.Min.Y, c.Max.Y
	const steps = 64 // few enough that each step keeps its colour in the PNG palette
	for i := range steps {
		ya := y0 + (y1-y0)*vg.Length(i)/steps
		yb := y0 + (y1-y0)*vg.Length(i+1)/steps + 0.5 // overlap: no seams
		v := b.scale.lo + (b.scale.hi-b.scale.lo)*(float64(i)+0.5)/steps
		if b.scale.diverging { // equal halves either side of zero
			t := (float64(i) + 0.5) / steps
			if t < 0.5 {
				v = b.scale.lo * (1 - 2*t)
			} else {
				v = b.scale.hi * (2*t - 1)
			}
		}
		c.FillPolygon(b.scale.colour(v), []vg.Point{{X: x0, Y: ya}, {X: x1, Y: ya}, {X: x1, Y: min(yb, y1)}, {X: x0, Y: min(yb, y1)}})
	}
	outline := draw.LineStyle{Color: color.Black, Width: vg.Points(0.6)}
	c.StrokeLines(outline, []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}, {X: x0, Y: y0}})
	sty := b.ticks
	sty.XAlign, sty.YAlign = draw.XLeft, draw.YCenter
	var lw vg.Length
	for _, v := range b.tickValues() {
		y := y0 + (y1-y0)*vg.Length(b.scale.position(v))
		c.StrokeLine2(outline, x1, y, x1+vg.Points(3), y)
		s := b.scale.format(v)
		c.FillText(sty, vg.Point{X: x1 + vg.Points(4), Y: y}, s)
		lw = max(lw, sty.Width(s))
	}
	if b.label != "" {
		t := b.title
		t.Rotation = -math.Pi / 2
		t.XAlign, t.YAlign = draw.XCenter, draw.YBottom
		c.FillText(t, vg.Point{X: x1 + vg.Points(10) + lw, Y: (y0 + y1) / 2}, b.label)
	}
}
