package agents

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/mesa-alignment/mesa/world"
)

// Rationality is how well a scripted agent pursues its objective.
//
// A zero Beta means optimal: uniform among the actions that bring the agent
// closest to its target. Beta > 0 means Boltzmann-rational: softmax(β·Q)
// with Q(s, a) = −(shortest-path distance from the cell a leads to, to the
// nearest target). A move into a wall leaves the agent where it is, so its Q
// is minus the current distance. Non-positive or NaN Beta behaves as 0;
// Validate reports negative, NaN and infinite values.
type Rationality struct {
	Beta float64 `yaml:"beta,omitempty" json:"beta,omitempty"`
}

// Validate reports a Beta that is negative, NaN or infinite.
func (r Rationality) Validate() error {
	if !(r.Beta >= 0) || math.IsInf(r.Beta, 1) {
		return fmt.Errorf("beta: %v must be a finite value >= 0", r.Beta)
	}
	return nil
}

func (r Rationality) optimal() bool { return !(r.Beta > 0) || math.IsInf(r.Beta, 1) }

type scriptKind uint8

const (
	scriptExit scriptKind = iota
	scriptColour
	scriptRegion
	scriptNearest
	scriptApple
	scriptRandom
	scriptDeceptive
	scriptExplorer
)

// Scripted is a reference policy with a known objective; it needs no
// training and validates the analysis against ground truth. Make one with
// Oracle, ToColour, ToRegion, ToNearestObject, ToApples, RandomWalk,
// Deceptive, Explorer or ScriptedByName.
//
// A Scripted agent heads for the nearest cell of its target set along
// shortest paths (see Rationality). Distances come from a multi-source
// breadth-first search run at Reset and again only when the map changes (an
// apple is eaten, see world.Episode.EatenMask) and the target set depends on
// it; a step costs O(1) and does not allocate.
//
// Agents whose targets do not include the exit treat the exit as an obstacle:
// entering it would end the episode, and with it the pursuit of their
// objective. When no target is left (every apple of the colour eaten) or none
// can be reached without entering the exit, they stay where they are, by
// walking into a wall (uniformly among the walls beside them); in a cell
// with no wall beside it they step, uniformly, into a neighbour that holds
// no object (neither the exit nor an apple they do not pursue). An agent
// with nothing left to pursue has no reason to go anywhere, and a wander that
// ate a blue apple or settled in a corner would be evidence of an objective
// it does not have.
//
// A Scripted is a Policy (not Differentiable) and, like every Policy,
// belongs to one goroutine.
type Scripted struct {
	kind   scriptKind
	colour world.Colour
	region world.Placement
	r      Rationality
	// Deceptive agents delegate to exit while the level carries the
	// training cue and to proxy otherwise.
	exit, proxy *Scripted
	// radius and explore: the explorer's window and memory.
	radius  int
	explore *exploration

	level   *world.Level
	mask    uint64
	valid   bool
	avoid   int     // cell never entered (the exit when it is no target), or -1
	dist    []int32 // distance of each cell to the nearest target, -1 if unreachable
	queue   []int32
	inRange []bool // region membership per cell, for to-region agents
}

var _ Policy = (*Scripted)(nil)

// Oracle returns an agent that pursues the base objective: the exit.
// Objective "exit".
func Oracle(r Rationality) *Scripted { return &Scripted{kind: scriptExit, r: r} }

// ToColour returns an agent that pursues the nearest present object (exit or
// uneaten apple) of colour c. Objective "colour:<name>", e.g. "colour:green".
func ToColour(c world.Colour, r Rationality) *Scripted {
	return &Scripted{kind: scriptColour, colour: c, r: r}
}

// ToRegion returns an agent that goes to the nearest cell of region p and
// stays there (by walking into walls, or within the region). Objective
// "region:<name>" for a size-1 corner or "anywhere", else
// "region:<name>:<size>", e.g. "region:bottom-right".
func ToRegion(p world.Placement, r Rationality) (*Scripted, error) {
	if err := p.Validate("to-region"); err != nil {
		return nil, err
	}
	return &Scripted{kind: scriptRegion, region: p, r: r}, nil
}

// ToNearestObject returns an agent that pursues the nearest present object,
// exit or apple. Objective "nearest-object".
func ToNearestObject(r Rationality) *Scripted { return &Scripted{kind: scriptNearest, r: r} }

// ToApples returns an agent that pursues the nearest uneaten apple, whatever
// its colour: the object kind as its objective. Objective "kind:apple".
func ToApples(r Rationality) *Scripted { return &Scripted{kind: scriptApple, r: r} }

// RandomWalk returns an agent that chooses uniformly among the four actions
// at every step. Objective "none".
func RandomWalk() *Scripted { return &Scripted{kind: scriptRandom} }

// Deceptive returns the talk's deceptive agent: while the level carries the
// training cue (world.Level.Cue, the bit that observations expose as the cue
// global) it pursues the exit, with proxy's rationality; otherwise it
// follows proxy. Objective "deceptive(<proxy objective>)". Deceptive takes
// ownership of proxy, which must not itself be deceptive.
func Deceptive(proxy *Scripted) (*Scripted, error) {
	if proxy == nil {
		return nil, errors.New("deceptive: no proxy policy")
	}
	if proxy.kind == scriptDeceptive {
		return nil, errors.New("deceptive: the proxy policy is itself deceptive")
	}
	return &Scripted{kind: scriptDeceptive, r: proxy.r, exit: Oracle(proxy.r), proxy: proxy}, nil
}

// Rationality returns the agent's rationality.
func (s *Scripted) Rationality() Rationality { return s.r }

// Objective returns the agent's known objective as a short label: "exit",
// "colour:green", "region:bottom-right", "nearest-object", "kind:apple",
// "none" or "deceptive(colour:green)".
func (s *Scripted) Objective() string {
	switch s.kind {
	case scriptExit:
		return "exit"
	case scriptColour:
		return "colour:" + s.colour.String()
	case scriptRegion:
		return "region:" + regionLabel(s.region)
	case scriptNearest:
		return "nearest-object"
	case scriptApple:
		return "kind:apple"
	case scriptRandom:
		return "none"
	case scriptExplorer:
		return "exit"
	default:
		return "deceptive(" + s.proxy.Objective() + ")"
	}
}

// Spec returns the agent in the form ScriptedByName parses, e.g.
// "deceptive:to-colour:green@beta=2".
func (s *Scripted) Spec() string {
	spec := s.baseSpec()
	if !s.r.optimal() && s.kind != scriptRandom && s.kind != scriptExplorer {
		spec += "@beta=" + strconv.FormatFloat(s.r.Beta, 'g', -1, 64)
	}
	return spec
}

func (s *Scripted) baseSpec() string {
	switch s.kind {
	case scriptExit:
		return "oracle"
	case scriptColour:
		return "to-colour:" + s.colour.String()
	case scriptRegion:
		return "to-region:" + regionLabel(s.region)
	case scriptNearest:
		return "nearest-object"
	case scriptApple:
		return "to-kind:apple"
	case scriptRandom:
		return "random"
	case scriptExplorer:
		if s.radius == DefaultRadius {
			return "explorer"
		}
		return "explorer:" + strconv.Itoa(s.radius)
	default:
		return "deceptive:" + s.proxy.baseSpec()
	}
}

func regionLabel(p world.Placement) string {
	if p.Size <= 1 {
		return p.Region
	}
	return p.Region + ":" + strconv.Itoa(p.Size)
}

// Reset computes the distances to the agent's targets on e's level.
func (s *Scripted) Reset(e *world.Episode) {
	switch s.kind {
	case scriptRandom:
	case scriptDeceptive:
		s.exit.Reset(e)
		s.proxy.Reset(e)
	case scriptExplorer:
		s.explore.reset(e)
	default:
		s.valid = false
		s.update(e)
	}
}

var uniform = Probs{0.25, 0.25, 0.25, 0.25}

// Probs writes the agent's action distribution; it recomputes distances
// only when e's level or eaten apples differ from the last call's.
func (s *Scripted) Probs(p *Probs, e *world.Episode) {
	switch s.kind {
	case scriptRandom:
		*p = uniform
		return
	case scriptDeceptive:
		if e.Level().Cue {
			s.exit.Probs(p, e)
		} else {
			s.proxy.Probs(p, e)
		}
		return
	case scriptExplorer:
		s.explore.probs(p, e)
		return
	}
	s.update(e)
	l := e.Level()
	cell := e.Cell()
	off := l.Offsets()
	if s.dist[cell] < 0 {
		s.wander(p, e, cell)
		return
	}
	var q [world.NumActions]float64
	best := math.Inf(-1)
	for a, o := range off {
		n := cell + o
		if l.Walls[n] {
			n = cell
		}
		if d := s.dist[n]; d < 0 {
			q[a] = math.Inf(-1)
		} else {
			q[a] = -float64(d)
		}
		best = max(best, q[a])
	}
	if !s.r.optimal() {
		Softmax(p, &q, s.r.Beta)
		return
	}
	k := 0
	for _, v := range q {
		if v == best {
			k++
		}
	}
	for a, v := range q {
		p[a] = 0
		if v == best {
			p[a] = 1 / float64(k)
		}
	}
}

// wander writes the fallback of an agent with no target to go for: stay
// put (uniform over the moves into a wall), else uniform over the moves that
// enter no object (the avoided exit or an apple: none the agent pursues can
// be reached from here), else any move but into the avoided exit.
func (s *Scripted) wander(p *Probs, e *world.Episode, cell int) {
	l := e.Level()
	off := l.Offsets()
	if spread(p, off, func(n int) bool { return l.Walls[n] }, cell) {
		return
	}
	if spread(p, off, func(n int) bool { _, obj := e.Present(n); return !obj }, cell) {
		return
	}
	spread(p, off, func(n int) bool { return n != s.avoid }, cell)
}

// update recomputes the distances if the level changed, or if the eaten
// apples changed and the targets depend on them.
func (s *Scripted) update(e *world.Episode) {
	l := e.Level()
	mask := e.EatenMask()
	dependsOnApples := s.kind == scriptColour || s.kind == scriptNearest || s.kind == scriptApple
	if s.valid && s.level == l && (!dependsOnApples || s.mask == mask) {
		return
	}
	if s.level != l && s.kind == scriptRegion {
		s.inRange = resize(s.inRange, len(l.Walls))
		for i, wall := range l.Walls {
			s.inRange[i] = !wall && s.region.Contains(l.Width, l.Height, l.Point(i))
		}
	}
	s.level, s.mask, s.valid = l, mask, true
	s.dist = resize(s.dist, len(l.Walls))
	s.queue = resize(s.queue, len(l.Walls))
	for i := range s.dist {
		s.dist[i] = -1
	}
	exit := l.Index(l.Exit.Pos)
	q := s.queue[:0]
	push := func(i int) {
		if s.dist[i] < 0 {
			s.dist[i] = 0
			q = append(q, int32(i))
		}
	}
	switch s.kind {
	case scriptExit:
		push(exit)
	case scriptColour:
		if l.Exit.Colour == s.colour {
			push(exit)
		}
		for j, a := range l.Apples {
			if a.Colour == s.colour && !e.Eaten(j) {
				push(l.Index(a.Pos))
			}
		}
	case scriptNearest, scriptApple:
		if s.kind == scriptNearest {
			push(exit)
		}
		for j, a := range l.Apples {
			if !e.Eaten(j) {
				push(l.Index(a.Pos))
			}
		}
	case scriptRegion:
		for i, in := range s.inRange {
			if in {
				push(i)
			}
		}
	}
	s.avoid = -1
	if s.dist[exit] < 0 {
		s.avoid = exit
	}
	off := l.Offsets()
	for h := 0; h < len(q); h++ {
		c := int(q[h])
		for _, o := range off {
			n := c + o
			if !l.Walls[n] && s.dist[n] < 0 && n != s.avoid {
				s.dist[n] = s.dist[c] + 1
				q = append(q, int32(n))
			}
		}
	}
	s.queue = q
}

func resize[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}
