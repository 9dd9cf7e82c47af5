package figure

import (
	"fmt"
	"image/color"
	"slices"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/mesa-alignment/mesa/world"
)

// A Path is an agent's trajectory: the cells it visited, in order.
type Path struct {
	Label string
	Cells []world.Point
}

// worldColours are the RGB colours of world.Palette, by index.
var worldColours = [world.NumColours]color.RGBA{
	world.Green:  {0x2C, 0xA0, 0x2C, 0xFF},
	world.Gray:   {0x90, 0x90, 0x90, 0xFF},
	world.Red:    {0xD6, 0x27, 0x28, 0xFF},
	world.Blue:   {0x1F, 0x5F, 0xD4, 0xFF},
	world.Yellow: {0xF2, 0xC8, 0x00, 0xFF},
	world.Purple: {0x94, 0x67, 0xBD, 0xFF},
	world.Orange: {0xFF, 0x7F, 0x0E, 0xFF},
	world.White:  {0xFF, 0xFF, 0xFF, 0xFF},
}

var (
	wallColour  = color.RGBA{0x3A, 0x3A, 0x3A, 0xFF}
	floorColour = color.RGBA{0xF7, 0xF4, 0xEC, 0xFF}
	cellLine    = color.RGBA{0xDD, 0xD8, 0xCC, 0xFF}
)

// Path colours avoid the world's pure hues where they can, so that paths
// do not look like objects.
var pathColours = []color.RGBA{
	{0x00, 0x4C, 0x99, 0xFF}, // dark blue
	{0xCC, 0x33, 0x99, 0xFF}, // magenta
	{0x00, 0x80, 0x80, 0xFF}, // teal
	{0x99, 0x55, 0x00, 0xFF}, // brown
	{0x55, 0x22, 0x88, 0xFF}, // dark purple
	{0x00, 0x00, 0x00, 0xFF}, // black
}

// Maze draws level l: walls dark, floor light, square cells; the start as a
// black triangle marked S; the exit as a square in its world colour with a
// heavy outline; apples as circles in their world colours; and each path as
// a line through the centres of its cells, ending in a marker. Paths are
// shifted diagonally by a small amount each, so that paths through the same
// cells stay visible side by side. The legend names the paths, the start,
// the exit and the apple colours. The maze has no axes: cells are its unit.
func Maze(title string, l *world.Level, paths []Path) (*plot.Plot, error) {
	if l == nil {
		return nil, fmt.Errorf("figure: Maze %q: no level: %w", title, ErrEmpty)
	}
	if l.Width <= 0 || l.Height <= 0 || len(l.Walls) != l.Width*l.Height {
		return nil, fmt.Errorf("figure: Maze %q: %d wall cells for a %d×%d maze", title, len(l.Walls), l.Width, l.Height)
	}
	in := func(p world.Point) bool { return p.X >= 0 && p.Y >= 0 && p.X < l.Width && p.Y < l.Height }
	if !in(l.Start) || !in(l.Exit.Pos) {
		return nil, fmt.Errorf("figure: Maze %q: start %v or exit %v outside the %d×%d maze", title, l.Start, l.Exit.Pos, l.Width, l.Height)
	}
	for _, a := range l.Apples {
		if !in(a.Pos) {
			return nil, fmt.Errorf("figure: Maze %q: apple at %v outside the %d×%d maze", title, a.Pos, l.Width, l.Height)
		}
	}
	m := &mazeDrawing{level: l}
	for _, p := range paths {
		if len(p.Cells) == 0 {
			return nil, fmt.Errorf("figure: Maze %q: path %q has no cells: %w", title, p.Label, ErrEmpty)
		}
		for i, c := range p.Cells {
			if !in(c) {
				return nil, fmt.Errorf("figure: Maze %q: path %q: cell %d at %v is outside the %d×%d maze", title, p.Label, i, c, l.Width, l.Height)
			}
		}
		m.paths = append(m.paths, slices.Clone(p.Cells))
	}

	p := newPlot(title, "", "")
	p.HideAxes()
	p.X.Min, p.X.Max, p.Y.Min, p.Y.Max = 0, 1, 0, 1
	p.Add(m)
	for i, path := range paths {
		p.Legend.Add(path.Label, pathThumb{i})
	}
	p.Legend.Add("start", objThumb{kind: objStart})
	p.Legend.Add(l.Exit.Colour.String()+" exit", objThumb{kind: objExit, fill: colourOfWorld(l.Exit.Colour)})
	var seen []world.Colour
	for _, a := range l.Apples {
		if !slices.Contains(seen, a.Colour) {
			seen = append(seen, a.Colour)
		}
	}
	slices.Sort(seen)
	for _, c := range seen {
		p.Legend.Add(c.String()+" apple", objThumb{kind: objApple, fill: colourOfWorld(c)})
	}
	legendOutside(p)
	return p, nil
}

func colourOfWorld(c world.Colour) color.RGBA {
	if int(c) < len(worldColours) {
		return worldColours[c]
	}
	return worldColours[world.Gray]
}

func pathStyle(i int) draw.LineStyle {
	return draw.LineStyle{Color: pathColours[i%len(pathColours)], Width: vg.Points(2.5), Dashes: dashes[i%len(dashes)]}
}

// mazeDrawing draws a level and paths in the largest square-celled area
// that fits the data canvas, centred.
type mazeDrawing struct {
	level *world.Level
	paths [][]world.Point
}

func (m *mazeDrawing) Plot(c draw.Canvas, _ *plot.Plot) {
	l := m.level
	s := min((c.Max.X-c.Min.X)/vg.Length(l.Width), (c.Max.Y-c.Min.Y)/vg.Length(l.Height))
	ox := c.Min.X + (c.Max.X-c.Min.X-s*vg.Length(l.Width))/2
	oy := c.Max.Y - (c.Max.Y-c.Min.Y-s*vg.Length(l.Height))/2
	// centre returns the centre of cell (x, y), y growing downwards.
	centre := func(x, y float64) vg.Point {
		return vg.Point{X: ox + s*vg.Length(x+0.5), Y: oy - s*vg.Length(y+0.5)}
	}
	rect := func(x, y int, shrink vg.Length) []vg.Point {
		x0, x1 := ox+s*vg.Length(x)+shrink, ox+s*vg.Length(x+1)-shrink
		y0, y1 := oy-s*vg.Length(y+1)+shrink, oy-s*vg.Length(y)-shrink
		return []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
	}
	// Walls as one block, so that no seams show between wall cells, then
	// the floor cells on top with thin lines between them.
	all := rect(0, 0, 0)
	all[0].Y, all[1].Y = oy-s*vg.Length(l.Height), oy-s*vg.Length(l.Height)
	all[1].X, all[2].X = ox+s*vg.Length(l.Width), ox+s*vg.Length(l.Width)
	c.FillPolygon(wallColour, all)
	thin := draw.LineStyle{Color: cellLine, Width: vg.Points(0.5)}
	for y := range l.Height {
		for x := range l.Width {
			if l.Walls[y*l.Width+x] {
				continue
			}
			r := rect(x, y, 0)
			c.FillPolygon(floorColour, r)
			c.StrokeLines(thin, append(r, r[0]))
		}
	}

	// Objects, under the paths.
	for _, a := range l.Apples {
		p := centre(float64(a.Pos.X), float64(a.Pos.Y))
		drawApple(&c, p, s*0.28, colourOfWorld(a.Colour))
	}
	drawExit(&c, centre(float64(l.Exit.Pos.X), float64(l.Exit.Pos.Y)), s*0.4, colourOfWorld(l.Exit.Colour))
	drawStart(&c, centre(float64(l.Start.X), float64(l.Start.Y)), s*0.36)

	// Paths, shifted diagonally by up to a quarter cell either way.
	n := len(m.paths)
	step := 0.0
	if n > 1 {
		step = min(0.15, 0.5/float64(n-1))
	}
	for i, cells := range m.paths {
		off := (float64(i) - float64(n-1)/2) * step
		pts := make([]vg.Point, len(cells))
		for j, cell := range cells {
			pts[j] = centre(float64(cell.X)+off, float64(cell.Y)+off)
		}
		ls := pathStyle(i)
		if len(pts) > 1 {
			c.StrokeLines(ls, pts)
		}
		end := glyphStyle(i)
		end.Color = ls.Color
		end.Radius = min(vg.Points(5), s*0.18)
		c.DrawGlyphNoClip(end, pts[len(pts)-1])
	}
}

func square(p vg.Point, r vg.Length) []vg.Point {
	return []vg.Point{{X: p.X - r, Y: p.Y - r}, {X: p.X + r, Y: p.Y - r}, {X: p.X + r, Y: p.Y + r}, {X: p.X - r, Y: p.Y + r}}
}

func drawExit(c *draw.Canvas, p vg.Point, r vg.Length, fill color.Color) {
	sq := square(p, r)
	c.FillPolygon(fill, sq)
	c.StrokeLines(draw.LineStyle{Color: color.Black, Width: max(vg.Points(1.5), r/6)}, append(sq, sq[0]))
	// An inner outline: an exit is a door, not a tile.
	in := square(p, r*0.55)
	c.StrokeLines(draw.LineStyle{Color: color.Black, Width: vg.Points(1)}, append(in, in[0]))
}

func drawApple(c *draw.Canvas, p vg.Point, r vg.Length, fill color.Color) {
	c.DrawGlyphNoClip(draw.GlyphStyle{Color: fill, Radius: r, Shape: draw.CircleGlyph{}}, p)
	var ring vg.Path
	ring.Move(vg.Point{X: p.X + r, Y: p.Y})
	ring.Arc(p, r, 0, 2*3.141592653589793)
	ring.Close()
	c.SetLineStyle(draw.LineStyle{Color: color.Black, Width: vg.Points(0.8)})
	c.Stroke(ring)
}

func drawStart(c *draw.Canvas, p vg.Point, r vg.Length) {
	tri := []vg.Point{{X: p.X, Y: p.Y + r}, {X: p.X + r*0.9, Y: p.Y - r*0.7}, {X: p.X - r*0.9, Y: p.Y - r*0.7}}
	c.FillPolygon(color.Black, tri)
}

type objKind int

const (
	objStart objKind = iota
	objExit
	objApple
)

// objThumb is the legend thumbnail of a maze object.
type objThumb struct {
	kind objKind
	fill color.Color
}

func (t objThumb) Thumbnail(c *draw.Canvas) {
	p := c.Center()
	r := (c.Max.Y - c.Min.Y) * 0.45
	switch t.kind {
	case objStart:
		drawStart(c, p, r)
	case objExit:
		drawExit(c, p, r, t.fill)
	case objApple:
		drawApple(c, p, r*0.8, t.fill)
	}
}

// pathThumb is the legend thumbnail of path i: its line and end marker.
type pathThumb struct{ i int }

func (t pathThumb) Thumbnail(c *draw.Canvas) {
	ls := pathStyle(t.i)
	mid := c.Center()
	c.StrokeLine2(ls, c.Min.X, mid.Y, c.Max.X, mid.Y)
	g := glyphStyle(t.i)
	g.Color = ls.Color
	c.DrawGlyphNoClip(g, vg.Point{X: c.Max.X, Y: mid.Y})
}
