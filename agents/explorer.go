package agents

import (
	"fmt"

	"github.com/mesa-alignment/mesa/world"
)

// Explorer returns a scripted agent that pursues the exit while seeing only
// a square window of radius cells around itself, as reactive agents do
// (View). It remembers what it has seen. Until the exit has been in its
// window it explores depth first: it steps into a neighbouring cell it has
// not been in (uniformly among them), and when there is none it steps back
// to the cell from which it first entered this one. Once it has seen the
// exit it heads for it along shortest paths through the cells not known to
// be walls (cells it has not seen count as open, and are found out as it
// goes). Objective "exit", spec "explorer" (radius 2) or "explorer:R".
//
// It is the reference for competence under a limited view: it reaches the
// exit by a path far longer than the shortest one, yet from the moment the
// exit came into sight it went straight there.
func Explorer(radius int) (*Scripted, error) {
	if radius < 1 || radius > MaxRadius {
		return nil, fmt.Errorf("explorer: radius %d out of range [1, %d]", radius, MaxRadius)
	}
	return &Scripted{kind: scriptExplorer, radius: radius, explore: &exploration{radius: radius}}, nil
}

// exploration is the explorer's memory of one episode.
type exploration struct {
	radius int

	level   *world.Level
	known   []int8  // per cell: 0 unseen, 1 floor, 2 wall
	visited []bool  // cells the agent has been in
	parent  []int32 // the cell from which a cell was first entered, -1 for the start
	dist    []int32 // distance to the exit through cells not known to be walls
	queue   []int32
	exit    int // the exit's cell once seen, else -1
	// step and cell are the episode step and cell of the last update.
	step, cell int
	stale      bool // dist needs recomputing
}

const (
	cellUnseen int8 = iota
	cellFloor
	cellWall
)

func (x *exploration) reset(e *world.Episode) {
	l := e.Level()
	n := len(l.Walls)
	x.level = l
	x.known = resize(x.known, n)
	x.visited = resize(x.visited, n)
	x.parent = resize(x.parent, n)
	x.dist = resize(x.dist, n)
	x.queue = resize(x.queue, n)
	clear(x.known)
	clear(x.visited)
	for i := range x.parent {
		x.parent[i] = -1
	}
	x.exit = -1
	x.step, x.cell = -1, -1
	x.update(e)
}

// update takes in what the window shows from the agent's current cell,
// once per step.
func (x *exploration) update(e *world.Episode) {
	if e.Level() != x.level {
		x.reset(e)
		return
	}
	if e.Steps() == x.step {
		return
	}
	l := x.level
	c := e.Cell()
	if !x.visited[c] {
		x.visited[c] = true
		if x.step >= 0 {
			x.parent[c] = int32(x.cell)
		}
	}
	x.step, x.cell = e.Steps(), c
	at := l.Point(c)
	exit := l.Index(l.Exit.Pos)
	for y := max(at.Y-x.radius, 0); y <= min(at.Y+x.radius, l.Height-1); y++ {
		for xx := max(at.X-x.radius, 0); xx <= min(at.X+x.radius, l.Width-1); xx++ {
			i := y*l.Width + xx
			if x.known[i] != cellUnseen {
				continue
			}
			x.known[i] = cellFloor
			if l.Walls[i] {
				x.known[i] = cellWall
			}
			x.stale = true
			if i == exit {
				x.exit = exit
			}
		}
	}
}

func (x *exploration) probs(p *Probs, e *world.Episode) {
	x.update(e)
	l := x.level
	c := e.Cell()
	off := l.Offsets()
	if x.exit >= 0 {
		if x.stale {
			x.distances()
		}
		best := int32(-1)
		for _, o := range off {
			if d := x.dist[c+o]; d >= 0 && (best < 0 || d < best) {
				best = d
			}
		}
		if best >= 0 {
			spread(p, off, func(n int) bool { return x.dist[n] == best }, c)
			return
		}
	}
	if spread(p, off, func(n int) bool { return x.known[n] == cellFloor && !x.visited[n] && x.leadsOn(n, c) }, c) {
		return
	}
	if back := x.parent[c]; back >= 0 {
		spread(p, off, func(n int) bool { return n == int(back) }, c)
		return
	}
	// The start, with every reachable cell explored and no exit seen:
	// impossible in a valid level, where the exit is reachable.
	*p = uniform
}

// leadsOn reports whether entering cell n from cell c can reveal something:
// whether the known floor beyond n (not through c) reaches a cell next to
// one not yet seen. A passage the window shows to be a dead end is not
// worth walking into.
func (x *exploration) leadsOn(n, c int) bool {
	l := x.level
	for i := range x.dist {
		x.dist[i] = -1
	}
	x.stale = true // dist is borrowed as the visited mark
	q := append(x.queue[:0], int32(n))
	x.dist[n], x.dist[c] = 0, 0
	for h := 0; h < len(q); h++ {
		cell := int(q[h])
		for _, o := range l.Offsets() {
			m := cell + o
			switch x.known[m] {
			case cellUnseen:
				return true
			case cellFloor:
				if x.dist[m] < 0 {
					x.dist[m] = 0
					q = append(q, int32(m))
				}
			}
		}
	}
	x.queue = q
	return false
}

// spread writes into p the uniform distribution over the actions from cell
// c whose destination satisfies ok, and reports whether there is one (p is
// all zero if not).
func spread(p *Probs, off [world.NumActions]int, ok func(n int) bool, c int) bool {
	*p = Probs{}
	k := 0
	for a, o := range off {
		if ok(c + o) {
			p[a] = 1
			k++
		}
	}
	if k == 0 {
		return false
	}
	for a := range p {
		p[a] /= float64(k)
	}
	return true
}

// distances fills dist with the distance to the exit through the interior
// cells not known to be walls.
func (x *exploration) distances() {
	l := x.level
	for i := range x.dist {
		x.dist[i] = -1
	}
	q := append(x.queue[:0], int32(x.exit))
	x.dist[x.exit] = 0
	for h := 0; h < len(q); h++ {
		c := int(q[h])
		for _, o := range l.Offsets() {
			n := c + o
			px, py := n%l.Width, n/l.Width
			if px < 1 || py < 1 || px > l.Width-2 || py > l.Height-2 || x.known[n] == cellWall || x.dist[n] >= 0 {
				continue
			}
			x.dist[n] = x.dist[c] + 1
			q = append(q, int32(n))
		}
	}
	x.queue = q
	x.stale = false
}
