package world

import (
	"fmt"
	"math/rand/v2"
	"slices"
)

// An IntRange is an inclusive range of integers.
type IntRange struct {
	Min int `yaml:"min" json:"min"`
	Max int `yaml:"max" json:"max"`
}

// Region names a part of the maze where something is placed.
//
//   - "anywhere": any floor cell.
//   - "top-left", "top-right", "bottom-left", "bottom-right": the floor cells
//     within Size cells of that corner of the interior (Size 1 is the corner
//     cell itself, which is always floor).
type Placement struct {
	Region string `yaml:"region" json:"region"`
	Size   int    `yaml:"size,omitempty" json:"size,omitempty"`
}

// Regions lists the region names a Placement accepts.
var Regions = []string{"anywhere", "top-left", "top-right", "bottom-left", "bottom-right"}

// ExitSpec says where the exit goes and what colour it is.
type ExitSpec struct {
	Placement `yaml:",inline" json:",inline"`
	// Colours the exit's colour is drawn from, uniformly.
	Colours []string `yaml:"colours" json:"colours"`
}

// AppleSpec says how many apples there are and what colours they are.
type AppleSpec struct {
	Count   IntRange `yaml:"count" json:"count"`
	Colours []string `yaml:"colours,omitempty" json:"colours,omitempty"`
}

// A Distribution of levels is plain data. Training and deployment are two
// distributions; a shift is their difference. A level is a pure function of
// the distribution and a level seed (see Level).
type Distribution struct {
	Name string `yaml:"name,omitempty" json:"name,omitempty"`
	// Width of the maze in cells, counting the border walls; only odd
	// widths are drawn (block mazes need them), uniformly among the odd
	// values in the range.
	Width IntRange `yaml:"width" json:"width"`
	// Height as Width; a zero range means square mazes (height = width).
	Height IntRange `yaml:"height,omitempty" json:"height,omitzero"`
	// Loops is the probability that each wall between two adjacent rooms
	// that the perfect maze kept is removed, adding cycles. 0 gives perfect
	// mazes (exactly one path between any two cells).
	Loops  float64   `yaml:"loops" json:"loops"`
	Start  Placement `yaml:"start" json:"start"`
	Exit   ExitSpec  `yaml:"exit" json:"exit"`
	Apples AppleSpec `yaml:"apples" json:"apples"`
	// Randomize is the fraction of levels in which the exit's colour (any
	// palette colour) and position (anywhere) are drawn independently of
	// the rules above: the data-side answer to a proxy.
	Randomize float64 `yaml:"randomize" json:"randomize"`
	// StepLimit ends an episode with base reward 0; 0 means Width*Height.
	StepLimit int `yaml:"step_limit,omitempty" json:"step_limit,omitempty"`
	// Cue sets Level.Cue: a flag observations expose, which lets a
	// situationally aware agent tell this distribution from another.
	Cue bool `yaml:"cue" json:"cue"`
}

// Limits on sizes, so that no configuration can ask for an absurd maze.
const (
	MinSize = 5
	MaxSize = 255
)

// Validate reports the first problem with d, naming the field, as in
// `exit.region: unknown region "botom-right"`.
func (d Distribution) Validate() error {
	_, err := NewGenerator(d)
	return err
}

// A Generator makes levels of one distribution. It is the validated, resolved
// form of a Distribution and is safe for concurrent use.
type Generator struct {
	d            Distribution
	w, h         IntRange
	exitColours  []Colour
	appleColours []Colour
	start, exit  region
}

type region struct {
	corner int // -1 anywhere, else 0 tl, 1 tr, 2 bl, 3 br
	size   int
}

func parseRegion(field string, p Placement) (region, error) {
	if p.Region == "" {
		return region{}, fmt.Errorf("%s.region: missing (one of %v)", field, Regions)
	}
	i := regionIndex(p.Region)
	if i < 0 {
		return region{}, fmt.Errorf("%s.region: unknown region %q (one of %v)", field, p.Region, Regions)
	}
	if i == 0 {
		if p.Size != 0 {
			return region{}, fmt.Errorf("%s.size: %d given for region anywhere, which takes no size", field, p.Size)
		}
		return region{corner: -1}, nil
	}
	if p.Size < 1 || p.Size > MaxSize {
		return region{}, fmt.Errorf("%s.size: %d out of range [1, %d]", field, p.Size, MaxSize)
	}
	return region{corner: i - 1, size: p.Size}, nil
}

func parseColours(field string, names []string, required bool) ([]Colour, error) {
	if len(names) == 0 && required {
		return nil, fmt.Errorf("%s: at least one colour is needed", field)
	}
	cs := make([]Colour, len(names))
	for i, n := range names {
		c, err := ParseColour(n)
		if err != nil {
			return nil, fmt.Errorf("%s[%d]: %w", field, i, err)
		}
		cs[i] = c
	}
	return cs, nil
}

func checkSize(field string, r IntRange) error {
	if r.Min < MinSize || r.Max > MaxSize || r.Min > r.Max {
		return fmt.Errorf("%s: range [%d, %d] must lie within [%d, %d] with min <= max", field, r.Min, r.Max, MinSize, MaxSize)
	}
	if r.Min == r.Max && r.Min%2 == 0 {
		return fmt.Errorf("%s: range [%d, %d] holds no odd size", field, r.Min, r.Max)
	}
	return nil
}

// NewGenerator validates d and resolves its names.
func NewGenerator(d Distribution) (*Generator, error) {
	g := &Generator{d: d}
	var err error
	if err = checkSize("width", d.Width); err != nil {
		return nil, err
	}
	g.w, g.h = d.Width, d.Height
	if d.Height == (IntRange{}) {
		g.h = IntRange{}
	} else if err = checkSize("height", d.Height); err != nil {
		return nil, err
	}
	if !(d.Loops >= 0 && d.Loops <= 1) {
		return nil, fmt.Errorf("loops: %v out of range [0, 1]", d.Loops)
	}
	if !(d.Randomize >= 0 && d.Randomize <= 1) {
		return nil, fmt.Errorf("randomize: %v out of range [0, 1]", d.Randomize)
	}
	if d.StepLimit < 0 || d.StepLimit > 1<<20 {
		return nil, fmt.Errorf("step_limit: %d out of range [0, %d]", d.StepLimit, 1<<20)
	}
	if g.start, err = parseRegion("start", d.Start); err != nil {
		return nil, err
	}
	if g.exit, err = parseRegion("exit", d.Exit.Placement); err != nil {
		return nil, err
	}
	if g.start.corner >= 0 && g.start.corner == g.exit.corner && g.start.size == 1 && g.exit.size == 1 {
		return nil, fmt.Errorf("exit.region: the 1x1 %s corner is also the only start cell", d.Exit.Region)
	}
	if g.exitColours, err = parseColours("exit.colours", d.Exit.Colours, true); err != nil {
		return nil, err
	}
	a := d.Apples.Count
	if a.Min < 0 || a.Min > a.Max {
		return nil, fmt.Errorf("apples.count: range [%d, %d] must have 0 <= min <= max", a.Min, a.Max)
	}
	// The smallest maze has ((w-1)/2)*((h-1)/2) rooms, all floor; two are
	// taken by the start and the exit.
	minH := g.w.Min
	if g.h != (IntRange{}) {
		minH = g.h.Min
	}
	if room := ((g.w.Min-1)/2)*((minH-1)/2) - 2; a.Max > min(room, MaxApples) {
		return nil, fmt.Errorf("apples.count: max %d does not fit: the smallest maze has room for %d", a.Max, min(room, MaxApples))
	}
	if g.appleColours, err = parseColours("apples.colours", d.Apples.Colours, a.Max > 0); err != nil {
		return nil, err
	}
	return g, nil
}

// Distribution returns the distribution g was made from.
func (g *Generator) Distribution() Distribution { return g.d }

// Level returns the level of d with the given seed. It validates d each
// call; use a Generator to make many levels.
func (d Distribution) Level(seed uint64) (*Level, error) {
	g, err := NewGenerator(d)
	if err != nil {
		return nil, err
	}
	return g.Level(seed), nil
}

// levelStream separates level generation from any other use of a seed value.
const levelStream = 0x6d657361_6c76656c // "mesalvel"

func oddIn(rng *rand.Rand, r IntRange) int {
	lo, hi := r.Min|1, r.Max
	if hi%2 == 0 {
		hi--
	}
	return lo + 2*rng.IntN((hi-lo)/2+1)
}

// Level returns the level with the given seed: a pure function of the
// distribution and seed.
func (g *Generator) Level(seed uint64) *Level {
	rng := rand.New(rand.NewPCG(seed, levelStream))
	w := oddIn(rng, g.w)
	h := w
	if g.h != (IntRange{}) {
		h = oddIn(rng, g.h)
	}
	l := &Level{Width: w, Height: h, Seed: seed, Cue: g.d.Cue, StepLimit: g.d.StepLimit}
	if l.StepLimit == 0 {
		l.StepLimit = w * h
	}
	l.Walls = carve(rng, w, h, g.d.Loops)

	l.Randomized = rng.Float64() < g.d.Randomize
	exitRegion, exitColour := g.exit, g.exitColours[rng.IntN(len(g.exitColours))]
	if l.Randomized {
		exitRegion, exitColour = region{corner: -1}, Colour(rng.IntN(NumColours))
	}
	var candBuf [512]int32 // scratch on the stack for the usual maze sizes
	cand := candBuf[:0]
	if w*h > len(candBuf) {
		cand = make([]int32, 0, w*h)
	}
	startCand := l.cells(cand[:0], g.start, -1)
	reserved := -1
	if len(startCand) == 1 {
		reserved = int(startCand[0])
	}
	exitCand := l.cells(startCand[len(startCand):], exitRegion, reserved)
	e := int(exitCand[rng.IntN(len(exitCand))])
	startCand = l.cells(cand[:0], g.start, e)
	s := int(startCand[rng.IntN(len(startCand))])
	l.Start = l.Point(s)
	l.Exit = Object{Kind: Exit, Colour: exitColour, Pos: l.Point(e)}

	if n := g.d.Apples.Count.Min + rng.IntN(g.d.Apples.Count.Max-g.d.Apples.Count.Min+1); n > 0 {
		free := l.cells(cand[:0], region{corner: -1}, -1)
		free = slices.DeleteFunc(free, func(i int32) bool { return int(i) == s || int(i) == e })
		n = min(n, len(free))
		for j := range n {
			k := j + rng.IntN(len(free)-j)
			free[j], free[k] = free[k], free[j]
		}
		// Apples are kept in reading order, as the text format lists them.
		free = free[:n]
		slices.Sort(free)
		l.Apples = make([]Object, n)
		for j, c := range free {
			l.Apples[j] = Object{Kind: Apple, Colour: g.appleColours[rng.IntN(len(g.appleColours))], Pos: l.Point(int(c))}
		}
	}
	if err := l.finish(); err != nil {
		// Unreachable for a validated generator: every branch above
		// keeps objects on distinct floor cells.
		panic("world: generator made an invalid level: " + err.Error())
	}
	return l
}

// cells appends to dst the floor cells of region r, except cell skip.
func (l *Level) cells(dst []int32, r region, skip int) []int32 {
	x0, x1, y0, y1 := 1, l.Width-2, 1, l.Height-2
	if r.corner >= 0 {
		if r.corner&1 == 0 { // left
			x1 = min(x1, r.size)
		} else {
			x0 = max(x0, l.Width-1-r.size)
		}
		if r.corner&2 == 0 { // top
			y1 = min(y1, r.size)
		} else {
			y0 = max(y0, l.Height-1-r.size)
		}
	}
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			i := y*l.Width + x
			if !l.Walls[i] && i != skip {
				dst = append(dst, int32(i))
			}
		}
	}
	return dst
}

// regionIndex returns the index of name in Regions, or -1; a switch, since
// analysis asks for every cell it classifies.
func regionIndex(name string) int {
	switch name {
	case "anywhere":
		return 0
	case "top-left":
		return 1
	case "top-right":
		return 2
	case "bottom-left":
		return 3
	case "bottom-right":
		return 4
	}
	return -1
}

// Contains reports whether cell q of a w×h maze lies in the placement's
// region ("anywhere" holds every interior cell). An invalid placement
// contains nothing; check it with Validate.
func (p Placement) Contains(w, h int, q Point) bool {
	r, err := parseRegion("region", p)
	if err != nil {
		return false
	}
	return inRegion(w, h, r, q)
}

// Validate reports a problem with the placement, naming the field.
func (p Placement) Validate(field string) error {
	_, err := parseRegion(field, p)
	return err
}

func inRegion(w, h int, r region, q Point) bool {
	if q.X < 1 || q.Y < 1 || q.X > w-2 || q.Y > h-2 {
		return false
	}
	if r.corner < 0 {
		return true
	}
	inX := q.X <= r.size
	if r.corner&1 != 0 {
		inX = q.X >= w-1-r.size
	}
	inY := q.Y <= r.size
	if r.corner&2 != 0 {
		inY = q.Y >= h-1-r.size
	}
	return inX && inY
}

// carve returns the walls of a w×h block maze: a perfect maze made by a
// randomised depth-first search over the rooms, then each remaining wall
// between two rooms removed with probability loops.
func carve(rng *rand.Rand, w, h int, loops float64) []bool {
	walls := make([]bool, w*h)
	for i := range walls {
		walls[i] = true
	}
	rw, rh := (w-1)/2, (h-1)/2
	// Scratch on the goroutine's stack for the usual maze sizes.
	var seenBuf [256]bool
	var stackBuf [256]int32
	var seen []bool
	stack := stackBuf[:0]
	if rooms := rw * rh; rooms <= len(seenBuf) {
		seen = seenBuf[:rooms]
	} else {
		seen, stack = make([]bool, rooms), make([]int32, 0, rooms)
	}
	roomCell := func(r int) int { return (2*(r/rw)+1)*w + 2*(r%rw) + 1 }
	first := rng.IntN(rw * rh)
	seen[first] = true
	walls[roomCell(first)] = false
	stack = append(stack, int32(first))
	var next [4]int
	for len(stack) > 0 {
		r := int(stack[len(stack)-1])
		rx, ry := r%rw, r/rw
		n := 0
		if ry > 0 && !seen[r-rw] {
			next[n] = r - rw
			n++
		}
		if rx < rw-1 && !seen[r+1] {
			next[n] = r + 1
			n++
		}
		if ry < rh-1 && !seen[r+rw] {
			next[n] = r + rw
			n++
		}
		if rx > 0 && !seen[r-1] {
			next[n] = r - 1
			n++
		}
		if n == 0 {
			stack = stack[:len(stack)-1]
			continue
		}
		q := next[rng.IntN(n)]
		seen[q] = true
		a, b := roomCell(r), roomCell(q)
		walls[(a+b)/2] = false
		walls[b] = false
		stack = append(stack, int32(q))
	}
	if loops > 0 {
		// Walls between two rooms sit at (even, odd) or (odd, even)
		// interior coordinates. Visit them in a fixed order so that the
		// stream of draws depends only on the maze size.
		for y := 1; y < h-1; y++ {
			for x := 1 + y%2; x < w-1; x += 2 {
				if i := y*w + x; walls[i] && rng.Float64() < loops {
					walls[i] = false
				}
			}
		}
	}
	return walls
}
