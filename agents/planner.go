package agents

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"

	"mesa/seeds"
	"mesa/world"
)

// Planner is the mesa-optimizer family: an agent with an explicit mesa
// objective that it optimises by search at run time. Its zero value works.
//
// θ has world.CellFeatures entries, one weight per feature of world.Planes
// (ParamNames is world.FeatureNames()): a colour, a kind, a corner region.
// The mesa objective is the reward r_θ(cell) = θ·ψ(cell), where ψ(cell) are
// the Planes features of the cell in the current state of the episode: an
// eaten apple has vanished, so its cell keeps only its region features.
// Walls have no features and no value.
//
// # The objective is θ's and nothing else's
//
// The planner's model of the world is the known map, the moves, and r:
//   - moving into a wall leaves the agent in its cell;
//   - every floor cell, the exit included, can be entered any number of
//     times and pays r each time; the model has no terminal state (it does
//     not know that the exit ends the episode, nor that apples vanish: it
//     sees that by replanning when one does);
//   - the step limit is not modelled; the discount γ stands in for it.
//
// That is a choice, made so that the objective the planner pursues is
// exactly the one θ's readout shows. A model in which the exit is terminal
// (as the world is) gives the architecture an objective of its own: any
// negative reward, however it arises, is escaped by leaving through the
// exit, so "get out" would be pursued whatever θ says about the exit. In
// this model adding a constant c to r adds c·(1−γ^(K+1))/(1−γ) to every Q
// and changes no decision (so there is no constant feature to learn), a
// cell is sought only if θ values what is in it or where it is, and the
// discount is the only pressure to be quick: of two equally valued targets
// the nearer one wins, and a target is worth γ^d of its reward at distance
// d. θ = 0 is exactly the uniform random walk.
//
// # Search
//
// Writing s' for the cell that action a leads to from s (s itself if
// blocked), the planner runs K sweeps of synchronous value iteration with a
// hard max from V₀ = 0:
//
//	Q_k(s, a) = r(s') + γ·V_k(s'),  V_{k+1}(s) = max_a Q_k(s, a)
//
// and acts by the Boltzmann policy π(a|s) = softmax(β·Q_K(s, ·)). V_K is the
// optimal value with horizon K. K is Iterations if positive; otherwise it
// "covers the maze": K is the largest shortest-path distance from the
// agent's cell at planning time to any floor cell (at least 1), so the value
// of every reachable cell is propagated back to the agent. Sweeps stop early
// when V stops changing exactly (V_{k+1} = V_k bitwise), which leaves V_K
// unchanged.
//
// The planner plans at Reset and replans only when the map changes, that is
// when Episode.EatenMask changes; between plans it reads Q from its table.
//
// Because r is linear in θ and the hard max is positively homogeneous, Q is
// positively homogeneous in θ: Q_{cθ} = c·Q_θ for c > 0. The scale of θ is
// therefore a learnable inverse temperature, and β only sets its unit.
//
// Gradients (GradLogProb) differentiate exactly the K-sweep computation the
// policy uses, by forward-mode tangents dV_k/dθ for every cell: at each sweep
// the max is taken through the action it selects, the lowest-numbered action
// on exact ties (so V_K is piecewise linear in θ and the gradient is that of
// the piece containing θ). Tangents are computed lazily, at the first
// GradLogProb after a (re)plan, so acting (as evolution does) never pays for
// them.
//
// Observation noise (Planes.Noise) is drawn at each plan from the stream
// seeds.PCG(level.Seed, "planner/planes", steps), with steps the episode's
// step count when planning: deterministic, identical for every θ (common
// random numbers) and independent of scheduling. Hand-made levels have seed
// 0 and so share their noise. With zero noise the planner computes r from
// the level directly and never materialises the planes.
type Planner struct {
	// Discount is γ in (0, 1); 0 means 0.9.
	Discount float64 `yaml:"discount,omitempty" json:"discount,omitempty"`
	// Beta is the inverse temperature of the Boltzmann policy over Q; 0
	// means 1.
	Beta float64 `yaml:"beta,omitempty" json:"beta,omitempty"`
	// Iterations is the number K of value-iteration sweeps; 0 means enough
	// to cover the maze from the agent's cell (see above).
	Iterations int `yaml:"iterations,omitempty" json:"iterations,omitempty"`
	// Planes are the per-cell features ψ: corner size and salience noise.
	Planes world.Planes `yaml:"planes,omitempty" json:"planes,omitzero"`

	ctx context.Context // see WithContext
}

var (
	_ Family    = Planner{}
	_ Objective = Planner{}
)

// Validate reports the first bad setting, naming the field.
func (p Planner) Validate() error {
	if !(p.Discount >= 0 && p.Discount < 1) {
		return fmt.Errorf("discount: %v out of range (0, 1) (0 means 0.9)", p.Discount)
	}
	if !(p.Beta >= 0 && p.Beta < 1e6) {
		return fmt.Errorf("beta: %v out of range [0, 1e6) (0 means 1)", p.Beta)
	}
	if p.Iterations < 0 || p.Iterations > 1<<20 {
		return fmt.Errorf("iterations: %d out of range [0, %d] (0 means cover the maze)", p.Iterations, 1<<20)
	}
	if p.Planes.CornerSize < 0 || p.Planes.CornerSize > world.MaxSize {
		return fmt.Errorf("planes.corner_size: %d out of range [0, %d]", p.Planes.CornerSize, world.MaxSize)
	}
	return p.Planes.Noise.Validate("planes.noise")
}

// Name returns "planner".
func (Planner) Name() string { return "planner" }

// Dim returns world.CellFeatures.
func (Planner) Dim() int { return world.CellFeatures }

// ParamNames returns world.FeatureNames().
func (Planner) ParamNames() []string { return world.FeatureNames() }

// Init draws each weight from N(0, 0.1²): small, so that the initial policy
// is close to uniform (Q scales with θ) yet already prefers some features.
func (Planner) Init(theta []float64, rng *rand.Rand) {
	for i := range theta[:world.CellFeatures] {
		theta[i] = 0.1 * rng.NormFloat64()
	}
}

// Readout returns the mesa objective: θ by feature name, divided by its L1
// norm (a zero θ gives zero weights). It does not retain theta.
func (Planner) Readout(theta []float64) []Weight {
	names := world.FeatureNames()
	l1 := 0.0
	for _, v := range theta[:len(names)] {
		l1 += math.Abs(v)
	}
	ws := make([]Weight, len(names))
	for i, n := range names {
		ws[i].Feature = n
		if l1 > 0 {
			ws[i].Weight = theta[i] / l1
		}
	}
	return ws
}

// Policy returns a planning policy. It aliases theta (length Dim()),
// reading it at Reset and when it replans, never writing it.
func (p Planner) Policy(theta []float64) Differentiable {
	pp := &plannerPolicy{theta: theta[:world.CellFeatures], gamma: p.Discount, beta: p.Beta,
		iterations: max(p.Iterations, 0), planes: p.Planes, ctx: p.ctx}
	if pp.gamma == 0 {
		pp.gamma = 0.9
	}
	if pp.beta == 0 {
		pp.beta = 1
	}
	pp.noisy = p.Planes.Noise != world.Noise{}
	pp.rng = rand.New(&pp.pcg)
	return pp
}

// Indices into the contiguous block of a cell's static features: the four
// corner regions, world.FeatCorner..world.CellFeatures.
const (
	staticFirst    = world.FeatCorner
	staticFeatures = world.CellFeatures - staticFirst
)

// plannerPolicy is the Differentiable policy of a Planner. Floor cells are
// numbered 0..n-1 in reading order.
type plannerPolicy struct {
	theta      []float64
	gamma      float64
	beta       float64
	iterations int
	planes     world.Planes
	noisy      bool

	// Per-level tables, rebuilt when the level changes.
	level   *world.Level
	n       int        // floor cells
	floorOf []int32    // cell index → floor index, -1 for walls
	cellOf  []int32    // floor index → cell index
	succ    [][4]int32 // floor index → floor index after each action
	static  []float64  // n×staticFeatures: corner regions per floor cell
	// objects lists the floor index of the exit (objects[0]) and of apple j
	// (objects[1+j]).
	objects []int32

	// Plan state.
	eaten   uint64 // EatenMask at the last plan
	planned bool
	sweeps  int       // K of the last plan
	r       []float64 // reward per floor cell
	v       []float64 // V_K
	w       []float64 // r + γ·V_K: Q(s, a) = w[succ[s][a]]
	dist    []int32   // BFS scratch
	queue   []int32
	planesB []float64 // materialised planes, only with noise
	pcg     rand.PCG
	rng     *rand.Rand
	plans   int // number of plans made, for tests

	// Tangents, valid when haveTangents: dw[j·F+f] = ∂w_K(j)/∂θ_f.
	haveTangents bool
	psi          []float64 // n×F features ψ per floor cell
	dw, dwNext   []float64
	tv, tw       []float64 // V and w recomputed alongside the tangents

	// Last Probs call.
	state int32
	probs Probs

	// ctx, if not nil, interrupts the sweeps of a plan once done; stopped
	// then marks the policy as dead (see WithContext).
	ctx     context.Context
	stopped bool
}

// Reset plans from the start of e.
func (pp *plannerPolicy) Reset(e *world.Episode) {
	if l := e.Level(); l != pp.level {
		pp.setLevel(l)
	}
	pp.plan(e)
}

// Probs writes π(·|s) for the agent's cell s, replanning first if the map
// has changed since the last plan.
func (pp *plannerPolicy) Probs(p *Probs, e *world.Episode) {
	if pp.stopped {
		*p = uniformProbs
		return
	}
	if e.Level() != pp.level {
		pp.setLevel(e.Level())
		pp.planned = false
	}
	if !pp.planned || e.EatenMask() != pp.eaten {
		pp.plan(e)
	}
	s := pp.floorOf[e.Cell()]
	sc := &pp.succ[s]
	w := pp.w
	q := [world.NumActions]float64{w[sc[0]], w[sc[1]], w[sc[2]], w[sc[3]]}
	Softmax(p, &q, pp.beta)
	pp.state, pp.probs = s, *p
}

// GradLogProb adds scale·∇θ log π(a|s) to grad for the state s of the last
// Probs call: scale·β·(∂Q(s,a) − Σ_b π(b|s)·∂Q(s,b)).
func (pp *plannerPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	if pp.stopped {
		return
	}
	if !pp.haveTangents {
		pp.computeTangents()
	}
	const F = world.CellFeatures
	sc := &pp.succ[pp.state]
	grad = grad[:F]
	da := pp.dw[int(sc[a&3])*F:][:F]
	k := scale * pp.beta
	for f := range grad {
		grad[f] += k * da[f]
	}
	for b, pb := range pp.probs {
		if pb == 0 {
			continue
		}
		db := pp.dw[int(sc[b])*F:][:F]
		kb := k * pb
		for f := range grad {
			grad[f] -= kb * db[f]
		}
	}
}

// setLevel builds the per-level tables, reusing buffers.
func (pp *plannerPolicy) setLevel(l *world.Level) {
	pp.level = l
	cells := l.Width * l.Height
	pp.floorOf = plannerResize(pp.floorOf, cells)
	n := 0
	for i, wall := range l.Walls {
		pp.floorOf[i] = -1
		if !wall {
			pp.floorOf[i] = int32(n)
			n++
		}
	}
	pp.n = n
	pp.cellOf = plannerResize(pp.cellOf, n)
	for i, j := range pp.floorOf {
		if j >= 0 {
			pp.cellOf[j] = int32(i)
		}
	}
	pp.succ = plannerResize(pp.succ, n)
	off := l.Offsets()
	for j, i := range pp.cellOf {
		for a, o := range off {
			t := pp.floorOf[int(i)+o] // the border is wall: never out of range
			if t < 0 {
				t = int32(j)
			}
			pp.succ[j][a] = t
		}
	}
	cs := pp.planes.Corner()
	pp.static = plannerResize(pp.static, n*staticFeatures)
	for j, i := range pp.cellOf {
		x, y := int(i)%l.Width, int(i)/l.Width
		left, top := x <= cs, y <= cs
		right, bottom := x >= l.Width-1-cs, y >= l.Height-1-cs
		f := pp.static[j*staticFeatures:][:staticFeatures]
		f[0] = plannerIndicator(left && top)
		f[1] = plannerIndicator(right && top)
		f[2] = plannerIndicator(left && bottom)
		f[3] = plannerIndicator(right && bottom)
	}
	pp.objects = plannerResize(pp.objects, 1+len(l.Apples))
	pp.objects[0] = pp.floorOf[l.Index(l.Exit.Pos)]
	for j, a := range l.Apples {
		pp.objects[1+j] = pp.floorOf[l.Index(a.Pos)]
	}
	for _, b := range []*[]float64{&pp.r, &pp.v, &pp.w} {
		*b = plannerResize(*b, n)
	}
	pp.dist = plannerResize(pp.dist, n)
	pp.queue = plannerResize(pp.queue, n)
	if pp.noisy {
		pp.planesB = plannerResize(pp.planesB, pp.planes.Len(l))
	}
	pp.planned = false
}

// plan computes r for the current map, then V_K and w = r + γ·V_K.
func (pp *plannerPolicy) plan(e *world.Episode) {
	pp.plans++
	pp.planned, pp.haveTangents = true, false
	pp.eaten = e.EatenMask()
	pp.rewards(e)
	pp.sweeps = pp.iterations
	if pp.sweeps == 0 {
		pp.sweeps = pp.cover(pp.floorOf[e.Cell()])
	}
	n := pp.n
	r, v, w := pp.r[:n], pp.v[:n], pp.w[:n]
	clear(v)
	succ := pp.succ[:n]
	for k := range pp.sweeps {
		if pp.interrupted(k) {
			return
		}
		discounted(w, r, v, pp.gamma)
		changed := false
		for s := range succ {
			sc := &succ[s]
			q := max(w[sc[0]], w[sc[1]], w[sc[2]], w[sc[3]])
			if q != v[s] {
				changed = true
			}
			v[s] = q
		}
		if !changed {
			break
		}
	}
	discounted(w, r, v, pp.gamma)
}

// discounted sets w = r + γ·v. Forward sweeps and tangent sweeps share it so
// that both compute bitwise the same values (and pick the same argmax).
func discounted(w, r, v []float64, gamma float64) {
	r, v = r[:len(w)], v[:len(w)]
	for j := range w {
		w[j] = r[j] + gamma*v[j]
	}
}

// rewards fills r with θ·ψ for every floor cell in the current state of e.
func (pp *plannerPolicy) rewards(e *world.Episode) {
	const F = world.CellFeatures
	n, th := pp.n, pp.theta
	r := pp.r[:n]
	if pp.noisy {
		l := pp.level
		pp.pcg = seeds.PCG(l.Seed, "planner/planes", uint64(e.Steps()))
		pp.planes.Observe(pp.planesB, e, pp.rng)
		for j, i := range pp.cellOf[:n] {
			psi := pp.planesB[int(i)*F:][:F]
			s := 0.0
			for f, t := range th[:F] {
				s += t * psi[f]
			}
			r[j] = s
		}
		return
	}
	ts := th[staticFirst:][:staticFeatures]
	for j := range r {
		f := pp.static[j*staticFeatures:][:staticFeatures]
		r[j] = ts[0]*f[0] + ts[1]*f[1] + ts[2]*f[2] + ts[3]*f[3]
	}
	l := pp.level
	r[pp.objects[0]] += th[world.FeatColour+int(l.Exit.Colour)] + th[world.FeatKind+int(world.Exit)]
	for j, a := range l.Apples {
		if !e.Eaten(j) {
			r[pp.objects[1+j]] += th[world.FeatColour+int(a.Colour)] + th[world.FeatKind+int(world.Apple)]
		}
	}
}

// cover returns the largest shortest-path distance from floor cell from to
// any floor cell, at least 1.
func (pp *plannerPolicy) cover(from int32) int {
	n := pp.n
	dist, queue := pp.dist[:n], pp.queue[:0]
	for j := range dist {
		dist[j] = -1
	}
	dist[from] = 0
	queue = append(queue, from)
	far := int32(1)
	for h := 0; h < len(queue); h++ {
		c := queue[h]
		d := dist[c]
		far = max(far, d)
		for _, t := range pp.succ[c] {
			if dist[t] < 0 {
				dist[t] = d + 1
				queue = append(queue, t)
			}
		}
	}
	return int(far)
}

// computeTangents reruns the K sweeps of the last plan, carrying the tangents
// dw_k(j) = ψ(j) + γ·dV_k(j) through the action each max selects. With
// dV_{k+1}(s) = dw_k(s*) for the selected successor s*, the recursion is
// dw_{k+1}(s) = ψ(s) + γ·dw_k(s*), with dw_0 = ψ.
func (pp *plannerPolicy) computeTangents() {
	const F = world.CellFeatures
	n := pp.n
	pp.psi = plannerResize(pp.psi, n*F)
	pp.dw = plannerResize(pp.dw, n*F)
	pp.dwNext = plannerResize(pp.dwNext, n*F)
	pp.tv = plannerResize(pp.tv, n)
	pp.tw = plannerResize(pp.tw, n)
	psi := pp.psi[:n*F]
	pp.features(psi)
	r, v, w := pp.r[:n], pp.tv[:n], pp.tw[:n]
	clear(v)
	dw, next := pp.dw[:n*F], pp.dwNext[:n*F]
	copy(dw, psi)
	g := pp.gamma
	succ := pp.succ[:n]
	for k := range pp.sweeps {
		if pp.interrupted(k) {
			return
		}
		discounted(w, r, v, g)
		for s := range succ {
			sc := &succ[s]
			best := sc[0]
			q := w[best]
			for _, t := range sc[1:] {
				if w[t] > q {
					best, q = t, w[t]
				}
			}
			v[s] = q
			src := (*[F]float64)(dw[int(best)*F:])
			dst := (*[F]float64)(next[s*F:])
			ps := (*[F]float64)(psi[s*F:])
			for f := range dst {
				dst[f] = ps[f] + g*src[f]
			}
		}
		dw, next = next, dw
	}
	pp.dw, pp.dwNext = dw, next
	pp.haveTangents = true
}

// features writes ψ(j) for every floor cell j, in the state of the last
// plan, into psi (n×F).
func (pp *plannerPolicy) features(psi []float64) {
	const F = world.CellFeatures
	if pp.noisy {
		for j, i := range pp.cellOf[:pp.n] {
			copy(psi[j*F:][:F], pp.planesB[int(i)*F:][:F])
		}
		return
	}
	clear(psi)
	for j := range pp.n {
		copy(psi[j*F+staticFirst:][:staticFeatures], pp.static[j*staticFeatures:][:staticFeatures])
	}
	l := pp.level
	x := int(pp.objects[0]) * F
	psi[x+world.FeatColour+int(l.Exit.Colour)] = 1
	psi[x+world.FeatKind+int(world.Exit)] = 1
	for j, a := range l.Apples {
		if pp.eaten&(1<<j) == 0 {
			x := int(pp.objects[1+j]) * F
			psi[x+world.FeatColour+int(a.Colour)] = 1
			psi[x+world.FeatKind+int(world.Apple)] = 1
		}
	}
}

// plannerResize returns s resized to length n, reallocating only when its capacity
// is too small. The contents are unspecified.
func plannerResize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func plannerIndicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
