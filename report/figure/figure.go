// Package figure draws the figures of an analysis report on gonum.org/v1/plot:
// learning and sweep curves (Lines), outcome shares (Bars), attribution
// matrices (Heatmap), planners' objective weights (Weights) and mazes with
// agents' paths (Maze).
//
// Every constructor validates its input and returns an error, never panics,
// for empty input, mismatched lengths, infinities and all-NaN data. Every
// figure has a title, axis labels, a legend (outside the data area, so it
// never covers data) and draws the intervals it is given. Colours are
// paired with dash patterns, markers or lightness so that figures still read
// in grayscale.
//
// Save writes a plot as a PNG of Width×Height at DPI, which is 800×500 pixels:
// the fonts are sized so that text stays legible at that width.
//
// The input types are plain structs owned by this package; only Maze uses
// mesa/world. Constructors copy what they need and do not retain the
// caller's slices.
package figure

import (
	"errors"
	"fmt"
	"image"
	"image/color"
	stddraw "image/draw"
	"image/png"
	"io"
	"math"

	xfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// The standard output size: 8in × 5in at 100 dpi is 800×500 pixels.
const (
	Width  = 8 * vg.Inch
	Height = 5 * vg.Inch
	DPI    = 100
)

// Font sizes, in points. At DPI they are 15 to 19 pixels high.
const (
	titleSize = 14
	labelSize = 12
	tickSize  = 11
	textSize  = 11
)

// An Interval is an estimate with its interval: Centre in [Lo, Hi]. Lo and Hi
// both NaN means no interval is known and only the centre is drawn; a NaN
// Centre is a missing value.
type Interval struct {
	Centre, Lo, Hi float64
}

// hasInterval reports whether v has a drawable interval.
func (v Interval) hasInterval() bool { return !math.IsNaN(v.Lo) }

// check reports an interval that cannot be drawn.
func (v Interval) check() error {
	switch {
	case math.IsInf(v.Centre, 0) || math.IsInf(v.Lo, 0) || math.IsInf(v.Hi, 0):
		return fmt.Errorf("infinite value in %+v", v)
	case math.IsNaN(v.Lo) != math.IsNaN(v.Hi):
		return fmt.Errorf("interval %+v has one bound NaN and not the other", v)
	case v.Lo > v.Hi:
		return fmt.Errorf("interval %+v has Lo > Hi", v)
	}
	return nil
}

// A Group is one set of bars, one value per category (Bars) or feature
// (Weights), drawn in one colour and named in the legend.
type Group struct {
	Label  string
	Values []Interval
}

// ErrEmpty is returned (wrapped) for a figure without data to draw.
var ErrEmpty = errors.New("figure: nothing to draw")

// WritePNG draws p on a w × h canvas at DPI and writes it to out as a
// paletted PNG: the 256 most frequent colours are kept exactly and the
// other, anti-aliased edge pixels take the nearest of them, which keeps
// files small. The bytes depend only on p, w and h.
func WritePNG(out io.Writer, p *plot.Plot, w, h vg.Length) error {
	if w <= 0 || h <= 0 {
		return fmt.Errorf("figure: size %v × %v is not positive", w, h)
	}
	c := vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))
	p.Draw(draw.Crop(draw.New(c), margin, -margin, margin, -margin))
	img, ok := c.Image().(*image.RGBA)
	if !ok {
		b := c.Image().Bounds()
		img = image.NewRGBA(b)
		stddraw.Draw(img, b, c.Image(), b.Min, stddraw.Src)
	}
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	return enc.Encode(out, paletted(img))
}

// sans returns the report's font at size points.
func sans(size vg.Length) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Size: size}
}

// newPlot returns a plot with the report's fonts, title and axis labels.
func newPlot(title, xLabel, yLabel string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font = sans(titleSize)
	p.Title.TextStyle.Font.Weight = xfont.WeightBold
	p.Title.Padding = vg.Points(10)
	p.X.Label.Text = xLabel
	p.Y.Label.Text = yLabel
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Label.TextStyle.Font = sans(labelSize)
		a.Tick.Label.Font = sans(tickSize)
		a.Label.Padding = vg.Points(4)
		a.Tick.Marker = niceTicks{n: 6}
	}
	p.Legend.TextStyle.Font = sans(textSize)
	p.Legend.Top = true
	p.Legend.Padding = vg.Points(3)
	p.Legend.ThumbnailWidth = vg.Points(28)
	return p
}

// legendOutside moves p's legend to the right of the data area: it adds a
// plotter that reserves the legend's width there. Call it after the last
// legend entry is added.
func legendOutside(p *plot.Plot) {
	p.Legend.Left = false
	r := p.Legend.Rectangle(draw.Canvas{})
	p.Add(reserveRight{width: r.Size().X + gap})
}

// margin is the white space around a figure; gap the space between the data
// area and the legend.
const (
	margin = vg.Length(6)
	gap    = vg.Length(10)
)

// reserveRight is a plotter that draws nothing and keeps width free to the
// right of the data area.
type reserveRight struct{ width vg.Length }

func (reserveRight) Plot(draw.Canvas, *plot.Plot) {}

func (r reserveRight) GlyphBoxes(*plot.Plot) []plot.GlyphBox {
	return []plot.GlyphBox{{X: 1, Y: 0.5, Rectangle: vg.Rectangle{Max: vg.Point{X: r.width}}}}
}

// Series colours: the Okabe–Ito palette, safe for colour-blind readers,
// ordered so that neighbours differ in lightness.
var colours = []color.RGBA{
	{0x00, 0x72, 0xB2, 0xFF}, // blue
	{0xE6, 0x9F, 0x00, 0xFF}, // orange
	{0x00, 0x9E, 0x73, 0xFF}, // bluish green
	{0xCC, 0x79, 0xA7, 0xFF}, // reddish purple
	{0x56, 0xB4, 0xE9, 0xFF}, // sky blue
	{0xD5, 0x5E, 0x00, 0xFF}, // vermillion
	{0x00, 0x00, 0x00, 0xFF}, // black
	{0xF0, 0xE4, 0x42, 0xFF}, // yellow
}

// dashes pairs with colours so that series differ in grayscale too.
var dashes = [][]vg.Length{
	nil,
	{vg.Points(7), vg.Points(3)},
	{vg.Points(2), vg.Points(2)},
	{vg.Points(9), vg.Points(3), vg.Points(2), vg.Points(3)},
	{vg.Points(4), vg.Points(4)},
	{vg.Points(12), vg.Points(4)},
	{vg.Points(1), vg.Points(4)},
	{vg.Points(6), vg.Points(2), vg.Points(1), vg.Points(2), vg.Points(1), vg.Points(2)},
}

var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{},
	draw.SquareGlyph{},
	draw.PyramidGlyph{},
	draw.CrossGlyph{},
	draw.RingGlyph{},
	draw.BoxGlyph{},
	draw.PlusGlyph{},
	draw.TriangleGlyph{},
}

func colourOf(i int) color.RGBA { return colours[i%len(colours)] }

func lineStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: colourOf(i), Width: vg.Points(2), Dashes: dashes[i%len(dashes)]}
}

func glyphStyle(i int) draw.GlyphStyle {
	return draw.GlyphStyle{Color: colourOf(i), Radius: vg.Points(4), Shape: glyphs[i%len(glyphs)]}
}

// withAlpha returns c at opacity a in [0, 1], premultiplied.
func withAlpha(c color.RGBA, a float64) color.RGBA {
	m := func(v uint8) uint8 { return uint8(math.Round(float64(v) * a)) }
	return color.RGBA{m(c.R), m(c.G), m(c.B), uint8(math.Round(255 * a))}
}

// gridColour is the colour of grid lines, behind the data.
var gridColour = color.Gray{Y: 0xDD}

// finiteRange widens [lo, hi] to include v when v is finite.
func finiteRange(lo, hi *float64, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	*lo = math.Min(*lo, v)
	*hi = math.Max(*hi, v)
}
