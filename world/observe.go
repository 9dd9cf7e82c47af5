package world

import (
	"fmt"
	"math/rand/v2"
)

// Per-cell channels of a Window observation, in order: wall, visited,
// visits, one channel per palette colour, one per kind. Visited is 1 for a
// cell the agent has been in (the start and its own cell included); visits
// is min(n, MaxVisits)/MaxVisits for a cell it has been in n times, so that
// a linear policy can prefer the least visited neighbour (Trémaux's rule for
// mazes: explore unvisited passages first, then go back the way that was
// walked least). A cell holding nothing (or an eaten apple) has all colour
// and kind channels 0. Cells outside the maze are wall.
const (
	ChanWall    = 0
	ChanVisited = 1
	ChanVisits  = 2
	ChanColour  = 3                       // first colour channel
	ChanKind    = ChanColour + NumColours // first kind channel
	// CellChannels is the number of channels per window cell.
	CellChannels = ChanKind + NumKinds
)

// MaxVisits is the visit count at which the visits channel saturates at 1.
const MaxVisits = 3

// VisitsFeature returns the visits channel of a cell visited n times:
// min(n, MaxVisits)/MaxVisits.
func VisitsFeature(n int) float64 { return float64(min(n, MaxVisits)) / MaxVisits }

// Global features that follow the window cells, in order: the agent's x and
// y normalised to [0, 1] over the interior, and the training cue (1 when the
// level carries it).
const (
	GlobalX = iota
	GlobalY
	GlobalCue
	NumGlobals
)

// Noise gives the standard deviation of Gaussian noise added to each group of
// observation channels: "salience". Wall=0, Colour=0.1, Kind=1 makes colour
// easy to see and shape hard. Visited applies to the visited and visits
// channels. The zero value adds no noise.
type Noise struct {
	Wall     float64 `yaml:"wall,omitempty" json:"wall,omitempty"`
	Visited  float64 `yaml:"visited,omitempty" json:"visited,omitempty"`
	Colour   float64 `yaml:"colour,omitempty" json:"colour,omitempty"`
	Kind     float64 `yaml:"kind,omitempty" json:"kind,omitempty"`
	Position float64 `yaml:"position,omitempty" json:"position,omitempty"`
	Cue      float64 `yaml:"cue,omitempty" json:"cue,omitempty"`
}

func (n Noise) zero() bool { return n == Noise{} }

// Validate reports a negative or non-finite standard deviation.
func (n Noise) Validate(field string) error {
	for _, f := range []struct {
		name string
		v    float64
	}{{"wall", n.Wall}, {"visited", n.Visited}, {"colour", n.Colour}, {"kind", n.Kind}, {"position", n.Position}, {"cue", n.Cue}} {
		if !(f.v >= 0 && f.v < 1e6) {
			return fmt.Errorf("%s.%s: noise %v must be a finite value >= 0", field, f.name, f.v)
		}
	}
	return nil
}

// A Window is the egocentric observation of reactive agents: the
// (2·Radius+1)² cells around the agent, row by row from the top-left, each
// with CellChannels channels, followed by NumGlobals global features.
type Window struct {
	Radius int   `yaml:"radius" json:"radius"`
	Noise  Noise `yaml:"noise,omitempty" json:"noise,omitzero"`
}

// Len returns the length of an observation.
func (w Window) Len() int {
	s := 2*w.Radius + 1
	return s*s*CellChannels + NumGlobals
}

// Observe writes the observation of e into dst, which must have length
// w.Len(). rng supplies the noise and may be nil when w.Noise is zero.
// Observe does not allocate and does not retain dst.
func (w Window) Observe(dst []float64, e *Episode, rng *rand.Rand) {
	l := e.level
	s := 2*w.Radius + 1
	dst = dst[:s*s*CellChannels+NumGlobals]
	clear(dst)
	px, py := e.at.X, e.at.Y
	k := 0
	for y := py - w.Radius; y <= py+w.Radius; y++ {
		if y < 0 || y >= l.Height {
			for range s {
				dst[k+ChanWall] = 1
				k += CellChannels
			}
			continue
		}
		row := y * l.Width
		for x := px - w.Radius; x <= px+w.Radius; x, k = x+1, k+CellChannels {
			if x < 0 || x >= l.Width {
				dst[k+ChanWall] = 1
				continue
			}
			i := row + x
			if l.Walls[i] {
				dst[k+ChanWall] = 1
				continue
			}
			if v := e.visits[i]; v > 0 {
				dst[k+ChanVisited] = 1
				dst[k+ChanVisits] = VisitsFeature(int(v))
			}
			switch o := l.objAt[i]; {
			case o == 1:
				dst[k+ChanColour+int(l.Exit.Colour)] = 1
				dst[k+ChanKind+int(Exit)] = 1
			case o >= 2 && e.eaten&(1<<(o-2)) == 0:
				dst[k+ChanColour+int(l.Apples[o-2].Colour)] = 1
				dst[k+ChanKind+int(Apple)] = 1
			}
		}
	}
	g := dst[k:]
	g[GlobalX] = float64(px-1) / float64(max(l.Width-3, 1))
	g[GlobalY] = float64(py-1) / float64(max(l.Height-3, 1))
	if l.Cue {
		g[GlobalCue] = 1
	}
	if !w.Noise.zero() {
		n := w.Noise
		for c := 0; c < k; c += CellChannels {
			addNoise(dst[c+ChanWall:c+ChanWall+1], n.Wall, rng)
			addNoise(dst[c+ChanVisited:c+ChanVisits+1], n.Visited, rng)
			addNoise(dst[c+ChanColour:c+ChanKind], n.Colour, rng)
			addNoise(dst[c+ChanKind:c+CellChannels], n.Kind, rng)
		}
		addNoise(g[GlobalX:GlobalY+1], n.Position, rng)
		addNoise(g[GlobalCue:GlobalCue+1], n.Cue, rng)
	}
}

func addNoise(dst []float64, std float64, rng *rand.Rand) {
	if std == 0 {
		return
	}
	for i := range dst {
		dst[i] += std * rng.NormFloat64()
	}
}

// Per-cell features of Planes, in order: one per palette colour and one per
// kind (of the object in the cell, if any and not eaten), and membership of
// the four corner regions. An empty cell outside every corner region has no
// features at all.
//
// There is deliberately no constant feature and no coordinate: a constant
// per-cell reward is a step cost (or bonus) that says nothing about where
// to go, and x, y are a smooth "go right, go down" that the corner regions
// already name. Every feature marks something a target can be: a colour, a
// kind, a place.
const (
	FeatColour    = 0
	FeatKind      = FeatColour + NumColours
	FeatCorner    = FeatKind + NumKinds // top-left, top-right, bottom-left, bottom-right
	CellFeatures  = FeatCorner + 4
	defaultCorner = 3
)

// DefaultCornerSize is the size of the corner regions of zero Planes.
const DefaultCornerSize = defaultCorner

// FeatureNames returns the names of the per-cell features of Planes, in
// order, as used for logging mesa objectives ("colour_green", "kind_exit",
// "region_bottom_right").
func FeatureNames() []string {
	names := make([]string, 0, CellFeatures)
	for _, p := range Palette {
		names = append(names, "colour_"+p.Name)
	}
	return append(names, "kind_exit", "kind_apple",
		"region_top_left", "region_top_right", "region_bottom_left", "region_bottom_right")
}

// Planes are the full per-cell feature planes that planners see: for every
// cell, CellFeatures values (see FeatureNames); wall cells are all zero.
type Planes struct {
	// CornerSize is the size of the corner regions the region features
	// mark: the cells within CornerSize cells of a corner of the interior,
	// as Placement{Region: corner, Size: CornerSize}; 0 means
	// DefaultCornerSize.
	CornerSize int   `yaml:"corner_size,omitempty" json:"corner_size,omitempty"`
	Noise      Noise `yaml:"noise,omitempty" json:"noise,omitzero"`
}

// Corner returns the resolved corner size.
func (p Planes) Corner() int {
	if p.CornerSize <= 0 {
		return defaultCorner
	}
	return p.CornerSize
}

// Len returns the length of the planes of level l.
func (p Planes) Len(l *Level) int { return l.Width * l.Height * CellFeatures }

// Observe writes the planes of e into dst (length p.Len(e.Level())). rng
// supplies the noise and may be nil when p.Noise is zero. Observe does not
// allocate and does not retain dst.
func (p Planes) Observe(dst []float64, e *Episode, rng *rand.Rand) {
	l := e.level
	dst = dst[:l.Width*l.Height*CellFeatures]
	clear(dst)
	cs := p.Corner()
	for i, wall := range l.Walls {
		if wall {
			continue
		}
		f := dst[i*CellFeatures : (i+1)*CellFeatures]
		x, y := i%l.Width, i/l.Width
		if o, ok := e.Present(i); ok {
			f[FeatColour+int(o.Colour)] = 1
			f[FeatKind+int(o.Kind)] = 1
		}
		left, top := x <= cs, y <= cs
		right, bottom := x >= l.Width-1-cs, y >= l.Height-1-cs
		f[FeatCorner+0] = b2f(left && top)
		f[FeatCorner+1] = b2f(right && top)
		f[FeatCorner+2] = b2f(left && bottom)
		f[FeatCorner+3] = b2f(right && bottom)
		if !p.Noise.zero() {
			addNoise(f[FeatColour:FeatKind], p.Noise.Colour, rng)
			addNoise(f[FeatKind:FeatCorner], p.Noise.Kind, rng)
			addNoise(f[FeatCorner:CellFeatures], p.Noise.Position, rng)
		}
	}
}

// AppendRegions appends to dst, for every node of g (a level's Graph), the
// corner regions whose features Observe sets on the node's cell: bit c for
// feature FeatCorner+c (top-left, top-right, bottom-left, bottom-right).
func (p Planes) AppendRegions(dst []uint8, g *Graph) []uint8 {
	c := int32(p.Corner())
	for j, x := range g.X {
		y := g.Y[j]
		left, top := x <= c, y <= c
		right, bottom := x >= g.w-1-c, y >= g.h-1-c
		dst = append(dst, b2u(left && top)|b2u(right && top)<<1|b2u(left && bottom)<<2|b2u(right && bottom)<<3)
	}
	return dst
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
