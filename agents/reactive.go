package agents

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// DefaultRadius is the window radius of a Reactive or MLP whose
// Window.Radius is 0.
const DefaultRadius = 2

// MaxRadius bounds the window radius, so that no configuration asks for an
// absurd parameter vector.
const MaxRadius = 16

// Reactive is the "plant": a linear softmax policy over the egocentric
// window (world.Window.Observe, whose globals hold the normalised position
// and the training cue). It does no search and has no memory beyond the
// window's visited and visits channels, which are enough for Trémaux-style
// exploration: prefer the least visited neighbour.
//
// The policy scores each action by what lies in its direction. In the frame
// of action a, a window cell is "ahead" cells along a and "right" cells to
// its right; the logit of a is
//
//	q_a = Σ_cells,channels w[ahead, right, channel]·x[cell, channel] + Σ_g u[g, a]·x_g + b_a
//
// with one set of window weights w for all four actions, and per-action
// weights u on the globals and biases b. So "a wall ahead", "the cell ahead
// visited twice", "a green object two cells ahead" mean the same whichever
// way the move goes: the local rules a maze walker needs (do not walk into
// walls, prefer the least visited passage, step toward an object) are
// learned once for the four directions, from four times the experience,
// while the globals and biases keep what depends on the direction itself
// (the exit is bottom-right). Apart from those, the policy is equivariant
// under rotations of the maze. With one weight vector per action instead
// (the policy's earlier form, 4× the window parameters), REINFORCE reached
// 54-66% success on the "train" preset within 4M env steps and the GA about
// 30%; shared, they reach the rates in the issue 8 report.
//
// θ holds, in order: w, cell-major in the frame of the up action (row by row
// from the farthest cell ahead, left to right; CellChannels weights per
// cell), then u feature-major (θ[W+g*4+a] weighs global g for action a, W
// the number of window weights), then the four biases. Observations are
// mostly zero (one-hot channels), so a step touches only the weights of the
// nonzero features.
//
// The zero value is usable: a zero Window.Radius means DefaultRadius (2), so
// a radius-0 window (the agent's own cell only, blind to walls) is not
// expressible; it would be of no use to a reactive agent. Observation noise
// (Window.Noise) is drawn from a stream derived from the level seed, the step
// and the agent's cell, so Probs stays a pure function of θ and the episode
// state.
type Reactive struct {
	Window world.Window `yaml:"window" json:"window"`
}

var _ Family = Reactive{}

// Validate reports a window radius outside [0, MaxRadius] or invalid noise.
func (r Reactive) Validate() error { return validateWindow("reactive.window", r.Window) }

// Name returns "reactive".
func (Reactive) Name() string { return "reactive" }

// Dim returns (2·radius+1)²·world.CellChannels + 4·(world.NumGlobals + 1).
func (r Reactive) Dim() int {
	return windowWeights(resolveWindow(r.Window)) + (world.NumGlobals+1)*world.NumActions
}

// windowWeights returns the number of window weights of w: one per channel
// of each cell.
func windowWeights(w world.Window) int {
	s := 2*w.Radius + 1
	return s * s * world.CellChannels
}

// ParamNames names the window weights by the cell's place in the action's
// frame and the channel, as in "w[ahead=1,right=0,wall]" (the cell the move
// enters) or "w[ahead=2,right=-1,colour_green]", the global weights by
// global and action, as in "w[cue→left]", and the biases "b[up]".
func (r Reactive) ParamNames() []string {
	names := make([]string, 0, r.Dim())
	for _, f := range relativeFeatureNames(resolveWindow(r.Window)) {
		names = append(names, "w["+f+"]")
	}
	for _, g := range globalNames {
		for a := range world.NumActions {
			names = append(names, "w["+g+"→"+world.Action(a).String()+"]")
		}
	}
	for a := range world.NumActions {
		names = append(names, "b["+world.Action(a).String()+"]")
	}
	return names
}

// Init draws the window and global weights from N(0, σ²) with σ² =
// 0.25/(window cells + globals): about one channel per window cell is
// active, so initial logits have a standard deviation near 0.5 and the
// initial policy is mildly non-uniform. Biases start at 0.
func (r Reactive) Init(theta []float64, rng *rand.Rand) {
	w := resolveWindow(r.Window)
	checkDim("reactive", theta, r.Dim())
	s := 2*w.Radius + 1
	sd := 0.5 / math.Sqrt(float64(s*s+world.NumGlobals))
	nw := len(theta) - world.NumActions
	for i := range nw {
		theta[i] = sd * rng.NormFloat64()
	}
	clear(theta[nw:])
}

// Policy returns a reactive policy over theta, which it aliases (see
// Family). It panics if len(theta) != Dim().
func (r Reactive) Policy(theta []float64) Differentiable {
	w := resolveWindow(r.Window)
	checkDim("reactive", theta, r.Dim())
	return &reactivePolicy{theta: theta, obs: newSparseObs(w), tab: actionTable(w)}
}

type reactivePolicy struct {
	theta []float64
	obs   sparseObs
	tab   [][world.NumActions]int32 // θ index of each observation feature, per action
	// w4[i] are θ[tab[i][a]] for the four actions, gathered at Reset
	// (ready), when θ may have changed.
	w4       [][world.NumActions]float64
	gathered []float64 // θ at the last gather
	ready    bool
	probs    Probs // of the last Probs call, for GradLogProb
}

// Reset gathers θ's weights of each observation feature for the four
// actions side by side, so that Probs reads them without indirection.
//
// The gather is skipped when θ holds the bits it held at the last one: an
// evolved agent plays its levels, and a gradient step its batch of
// episodes, with one θ, and comparing θ costs less than gathering it.
func (p *reactivePolicy) Reset(*world.Episode) {
	th := p.theta
	if p.ready && sameBits(th, p.gathered) {
		return
	}
	if len(p.w4) != len(p.tab) {
		p.w4 = make([][world.NumActions]float64, len(p.tab))
	}
	for i, t := range p.tab {
		p.w4[i] = [world.NumActions]float64{th[t[0]], th[t[1]], th[t[2]], th[t[3]]}
	}
	p.gathered = append(p.gathered[:0], th...)
	p.ready = true
}

// sameBits reports whether a and b hold the same bits.
func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i, x := range a {
		if math.Float64bits(x) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func (p *reactivePolicy) Probs(out *Probs, e *world.Episode) {
	p.obs.observe(e)
	if !p.ready {
		p.Reset(e)
	}
	th := p.theta
	b := th[len(th)-world.NumActions:]
	// The logits in locals, which the compiler keeps in registers.
	q0, q1, q2, q3 := b[0], b[1], b[2], b[3]
	val, w4 := p.obs.val[:len(p.obs.idx)], p.w4
	for k, i := range p.obs.idx {
		v := val[k]
		w := &w4[i]
		q0 += v * w[0]
		q1 += v * w[1]
		q2 += v * w[2]
		q3 += v * w[3]
	}
	q := [world.NumActions]float64{q0, q1, q2, q3}
	Softmax(&p.probs, &q, 1)
	*out = p.probs
}

// GradLogProb uses ∂ log π(a)/∂ logit(b) = [a = b] − π(b): the weight that
// feature i contributes to action b's logit gets x_i·([a = b] − π(b)),
// summed over the actions that share it.
func (p *reactivePolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	var d [world.NumActions]float64
	for b := range d {
		d[b] = -scale * p.probs[b]
	}
	d[a&3] += scale
	d0, d1, d2, d3 := d[0], d[1], d[2], d[3]
	// The table in a local and a feature's four indices loaded before its
	// four stores: otherwise the compiler reloads p.tab and t[1..3] after
	// each store into grad (it cannot rule out that they alias), and those
	// loads stall on the stores whenever their addresses agree modulo 4 KiB
	// (false store-forwarding), which depends on where the allocator put
	// grad: an SGD unit ran up to twice as long whenever another unit ran
	// in the same process. Same operations, same order, same bits.
	idx, val, tab := p.obs.idx, p.obs.val[:len(p.obs.idx)], p.tab
	for k, i := range idx {
		v := val[k]
		t := &tab[i]
		t0, t1, t2, t3 := t[0], t[1], t[2], t[3]
		grad[t0] += v * d0
		grad[t1] += v * d1
		grad[t2] += v * d2
		grad[t3] += v * d3
	}
	g := grad[len(p.theta)-world.NumActions : len(p.theta)]
	for b := range g {
		g[b] += d[b]
	}
}

// actionTable returns, for each feature i of an observation of w (window
// cells then globals), the index in a Reactive θ of the weight it
// contributes to each action's logit: the shared window weight of the cell's
// place in the action's frame, or the action's own global weight.
func actionTable(w world.Window) [][world.NumActions]int32 {
	nw := windowWeights(w)
	tab := make([][world.NumActions]int32, w.Len())
	for i := range tab {
		for a := range world.NumActions {
			if i >= nw {
				tab[i][a] = int32(nw + (i-nw)*world.NumActions + a)
				continue
			}
			tab[i][a] = int32(relativeCell(w.Radius, i/world.CellChannels, world.Action(a))*world.CellChannels + i%world.CellChannels)
		}
	}
	return tab
}

// relativeCell returns the index, in the frame of the up action, of window
// cell k (row-major from the top-left, as in world.Window) as seen by a move
// in direction a: the cell's coordinates (ahead, right) in a's frame, laid
// out as cell (dx, dy) = (right, −ahead) of an up move.
func relativeCell(radius, k int, a world.Action) int {
	s := 2*radius + 1
	dx, dy := k%s-radius, k/s-radius
	var ahead, right int
	switch a {
	case world.Up:
		ahead, right = -dy, dx
	case world.Right:
		ahead, right = dx, dy
	case world.Down:
		ahead, right = dy, -dx
	case world.Left:
		ahead, right = -dx, -dy
	}
	return (-ahead+radius)*s + right + radius
}

// sparseObs is a window observation as the list of its nonzero entries, in
// increasing index order, for cheap products with feature-major weights. It
// belongs to one policy.
//
// Without noise the entries are produced directly from the episode, which is
// several times faster than clearing and scanning a dense observation; they
// are exactly the nonzero entries of world.Window.Observe (the tests check
// this). With noise every entry is nonzero anyway, so the dense observation is
// made by Observe and taken whole.
type sparseObs struct {
	w   world.Window
	idx []int32
	val []float64
	// The level observed last, its walls padded with Radius cells of wall
	// (pw wide), and the offsets of the window's cells from its first in
	// the level and in the padded walls (see setLevel).
	level             *world.Level
	walls             []bool
	pw                int
	offsets, poffsets []int32
	noisy             bool
	dense             []float64 // only with noise
	pcg               *rand.PCG // reseeded at each noisy observation; rng draws from it
	rng               *rand.Rand
}

func newSparseObs(w world.Window) sparseObs {
	n := w.Len()
	o := sparseObs{w: w, noisy: w.Noise != world.Noise{}}
	if o.noisy {
		o.dense = make([]float64, n)
		o.pcg = new(rand.PCG)
		o.rng = rand.New(o.pcg)
	}
	// At most the wall channel, or visited, visits, colour and kind, per
	// cell.
	m := min(n, (2*w.Radius+1)*(2*w.Radius+1)*4+world.NumGlobals)
	if o.noisy {
		m = n
	}
	o.idx, o.val = make([]int32, 0, m), make([]float64, 0, m)
	return o
}

// observe fills o from the current state of e.
func (o *sparseObs) observe(e *world.Episode) {
	if o.noisy {
		o.observeNoisy(e)
		return
	}
	l := e.Level()
	at := e.Pos()
	r := o.w.Radius
	if o.level != l {
		o.setLevel(l)
	}
	// The window's cells are at fixed offsets from its first, in the
	// level (for visits and objects) and in the level padded with r cells
	// of wall (for walls, without bounds tests): the same entries in the
	// same order as the window's reading order. Entries are written at n
	// into buffers that fit a full window.
	base := (at.Y-r)*l.Width + at.X - r
	pbase := at.Y*o.pw + at.X // (at.Y−r+r)·pw + (at.X−r+r)
	walls, offsets, poffsets := o.walls, o.offsets, o.poffsets[:len(o.offsets)]
	idx, val := o.idx[:cap(o.idx)], o.val[:cap(o.val)]
	n, k := 0, 0
	for j, off := range offsets {
		if walls[pbase+int(poffsets[j])] {
			idx[n], val[n] = int32(k+world.ChanWall), 1
			n++
		} else {
			i := base + int(off)
			if v := e.Visits(i); v > 0 {
				idx[n], val[n] = int32(k+world.ChanVisited), 1
				idx[n+1], val[n+1] = int32(k+world.ChanVisits), world.VisitsFeature(v)
				n += 2
			}
			if obj, ok := e.Present(i); ok {
				idx[n], val[n] = int32(k+world.ChanColour+int(obj.Colour)), 1
				idx[n+1], val[n+1] = int32(k+world.ChanKind+int(obj.Kind)), 1
				n += 2
			}
		}
		k += world.CellChannels
	}
	o.finish(idx[:n], val[:n], k, l, at)
}

// finish appends the global features, at k, to the window's entries and
// keeps them.
func (o *sparseObs) finish(idx []int32, val []float64, k int, l *world.Level, at world.Point) {
	if gx := float64(at.X-1) / float64(max(l.Width-3, 1)); gx != 0 {
		idx, val = append(idx, int32(k+world.GlobalX)), append(val, gx)
	}
	if gy := float64(at.Y-1) / float64(max(l.Height-3, 1)); gy != 0 {
		idx, val = append(idx, int32(k+world.GlobalY)), append(val, gy)
	}
	if l.Cue {
		idx, val = append(idx, int32(k+world.GlobalCue)), append(val, 1)
	}
	o.idx, o.val = idx, val
}

// setLevel pads l's walls with r cells of wall on every side and computes
// the offsets of the window's cells from its first, in l and in the
// padding.
func (o *sparseObs) setLevel(l *world.Level) {
	r := o.w.Radius
	s := 2*r + 1
	pw, ph := l.Width+2*r, l.Height+2*r
	if cap(o.walls) < pw*ph {
		o.walls = make([]bool, pw*ph)
	}
	o.walls = o.walls[:pw*ph]
	for i := range o.walls {
		o.walls[i] = true
	}
	for y := range l.Height {
		copy(o.walls[(y+r)*pw+r:][:l.Width], l.Walls[y*l.Width:][:l.Width])
	}
	o.offsets, o.poffsets = o.offsets[:0], o.poffsets[:0]
	for dy := range s {
		for dx := range s {
			o.offsets = append(o.offsets, int32(dy*l.Width+dx))
			o.poffsets = append(o.poffsets, int32(dy*pw+dx))
		}
	}
	o.level, o.pw = l, pw
}

// observeNoisy draws the noise from a stream derived from the level seed,
// the step and the agent's cell, so that it is a function of the episode
// state, identical for every θ.
func (o *sparseObs) observeNoisy(e *world.Episode) {
	s := seeds.Derive(e.Level().Seed, "agents/window-noise", uint64(e.Steps()), uint64(e.Cell()))
	o.pcg.Seed(s, s^0x9e3779b97f4a7c15)
	o.w.Observe(o.dense, e, o.rng)
	idx, val := o.idx[:0], o.val[:0]
	for i, v := range o.dense {
		if v != 0 {
			idx, val = append(idx, int32(i)), append(val, v)
		}
	}
	o.idx, o.val = idx, val
}

func resolveWindow(w world.Window) world.Window {
	if w.Radius <= 0 {
		w.Radius = DefaultRadius
	}
	return w
}

func validateWindow(field string, w world.Window) error {
	if w.Radius < 0 || w.Radius > MaxRadius {
		return fmt.Errorf("%s.radius: %d out of range [0, %d] (0 means %d)", field, w.Radius, MaxRadius, DefaultRadius)
	}
	return w.Noise.Validate(field + ".noise")
}

// globalNames names the global features of a window observation, in order.
var globalNames = [world.NumGlobals]string{"x", "y", "cue"}

// relativeFeatureNames names the window weights of w in the frame of a
// move: "ahead=1,right=0,wall" for the wall channel of the cell the move
// enters, in the order of the weights (farthest cell ahead first).
func relativeFeatureNames(w world.Window) []string {
	channels := make([]string, 0, world.CellChannels)
	channels = append(channels, "wall", "visited", "visits")
	for _, c := range world.Palette {
		channels = append(channels, "colour_"+c.Name)
	}
	channels = append(channels, "kind_"+world.Exit.String(), "kind_"+world.Apple.String())
	names := make([]string, 0, windowWeights(w))
	for ahead := w.Radius; ahead >= -w.Radius; ahead-- {
		for right := -w.Radius; right <= w.Radius; right++ {
			cell := "ahead=" + strconv.Itoa(ahead) + ",right=" + strconv.Itoa(right) + ","
			for _, c := range channels {
				names = append(names, cell+c)
			}
		}
	}
	return names
}

func checkDim(family string, theta []float64, dim int) {
	if len(theta) != dim {
		panic(fmt.Sprintf("agents: %s: theta has %d parameters, want %d", family, len(theta), dim))
	}
}
