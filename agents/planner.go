package agents

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"unsafe"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
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
// blocked), the planner acts by the Boltzmann policy π(a|s) =
// softmax(β·Q(s, ·)) over
//
//	Q(s, a) = r(s') + γ·V(s'),  V(s) = max_a Q(s, a)
//
// With Iterations 0 (the default) V is V*, the optimal value of the
// infinite horizon, computed exactly (up to rounding) by solve: in this
// deterministic model whose moves can be undone, an optimal walk ends by
// staying in a cell or going back and forth between two neighbours, so V*
// is the best discounted sum over walks to such an ending, found by raising
// values from those endings along the edges until nothing rises: a few
// passes over the cells, whatever the maze's size or θ. With Iterations =
// K > 0 it is V_K, the optimal value with horizon K: K sweeps of
// synchronous value iteration with a hard max from V₀ = 0, Q_k(s, a) =
// r(s') + γ·V_k(s'), V_{k+1}(s) = max_a Q_k(s, a). Sweeps stop early when
// they stop changing anything (w_{k+1} = w_k below), which leaves V_K
// unchanged. A sweep computes w_{k+1}(s) = r(s) + γ·max_t w_k(t) over the
// distinct cells t the actions lead to, with w_0 = r and Q_K(s, a) =
// w_K(s'): that is the same arithmetic as the formula above, operation for
// operation, so any implementation of it gives the same bits.
//
// Until the second part of issue 16 (data schema 7), Iterations 0 meant "cover
// the maze": K sweeps with K the largest shortest-path distance from the
// agent's cell at planning time to any floor cell (at least 1), so that
// the value of every reachable cell reached the agent. Runs written before
// then were made with that planner; their numbers differ from today's in
// the last digits where the two horizons agree (a trained θ: the
// discounted tail beyond K is small) and in decisions where they do not.
// Setting Iterations to a maze's eccentricity reproduces a single plan of
// it, not the per-plan K.
//
// The planner plans at Reset and replans only when the map changes, that is
// when Episode.EatenMask changes; between plans it reads Q from its table,
// and computes π(·|s) once per plan for each cell s it is asked about.
//
// Because r is linear in θ and the hard max is positively homogeneous, Q is
// positively homogeneous in θ: Q_{cθ} = c·Q_θ for c > 0. The scale of θ is
// therefore a learnable inverse temperature, and β only sets its unit.
//
// Gradients (GradLogProb) differentiate exactly the computation the policy
// uses, by forward-mode tangents dw/dθ, through the choices each max makes
// (so V is piecewise linear in θ and the gradient is that of the piece
// containing θ). With the infinite horizon, a cell's tangent follows its
// chosen moves to the ending of its walk: ψ(s) + γ·dw(t) for a move to t,
// ψ(s)/(1−γ) for staying, (ψ(s) + γ·ψ(t))/(1−γ²) for going back and forth
// with t. With K sweeps, at each sweep the max is taken through the action
// it selects, the lowest-numbered action on exact ties; with s_k(s) the
// cell sweep k selects for s, the tangent is dw_{k+1}(s) = ψ(s) +
// γ·dw_k(s_k(s)) and dw_0 = ψ: a sum along the chain of selected cells. A
// policy that has been asked for a gradient keeps every sweep's values
// while it plans. Either way it computes the tangents of only the cells its
// gradients need, following their chains (shared chains once); acting
// alone (as evolution does) never pays for them.
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
	// Iterations is the number K of value-iteration sweeps, the horizon;
	// 0 means the infinite horizon, solved exactly (see above; before data
	// schema 7 it meant K sweeps covering the maze from the agent's cell).
	Iterations int `yaml:"iterations,omitempty" json:"iterations,omitempty"`
	// Planes are the per-cell features ψ: corner size and salience noise.
	Planes world.Planes `yaml:"planes,omitempty" json:"planes,omitzero"`

	ctx context.Context // see WithContext
}

var (
	_ Family    = Planner{}
	_ Objective = Planner{}
	_ Entropic  = (*plannerPolicy)(nil)
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
		return fmt.Errorf("iterations: %d out of range [0, %d] (0 means the infinite horizon)", p.Iterations, 1<<20)
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

// maxChainCells (a variable for tests) bounds n·(K+1), the size of the
// history of a plan's sweeps that chains need: above it (mazes far larger
// than any preset) tangents are computed densely, every cell at every
// sweep, as computeDenseTangents does.
var maxChainCells = 1 << 22

// plannerPolicy is the Differentiable policy of a Planner. It works on the
// nodes of the level's world.Graph: floor cells, numbered group by group.
type plannerPolicy struct {
	theta      []float64
	gamma      float64
	beta       float64
	iterations int
	planes     world.Planes
	noisy      bool

	// Per-level tables, rebuilt when the level changes.
	slots  []*plannerSlot // the tables of the last levels played
	clock  uint64
	level  *world.Level
	g      *world.Graph
	n      int     // nodes
	corner []uint8 // per node, the corner regions it is in: bit c for region c
	moves  []int32 // the level's plannerSlot.moves
	// cornerR[m] is θ's reward for the corner regions m: the same sum for
	// every node in them, computed once per θ.
	cornerR [1 << staticFeatures]float64

	// Plan state.
	eaten   uint64 // EatenMask at the last plan
	planned bool
	rEaten  uint64 // the EatenMask r was computed for, when rValid
	rValid  bool   // r holds θ·ψ for the current θ and level (noise aside)
	sweeps  int    // K of the last plan
	swept   int    // sweeps computed; the later ones would change nothing
	r       []float64
	w       []float64 // w_K = r + γ·V_K after a plan: Q(s, a) = w[Succ[s][a]]
	wA, wB  []float64 // the sweeps' buffers, without history
	dist    []int32   // BFS scratch
	queue   []int32
	planesB []float64 // materialised planes, only with noise
	pcg     rand.PCG
	rng     *rand.Rand
	plans   int // number of plans made, for tests

	// π(·|s) by node, valid when memoPlan[s] is the current plan's stamp,
	// and the entropy's terms, when termsPlan[s] is.
	memo      []Probs
	memoPlan  []int
	terms     []Probs
	termsPlan []int
	stamp     int

	// Tangents. grads is set by the first GradLogProb: from then on plans
	// keep every sweep's w, w_k = hist[k·n:(k+1)·n] for k ≤ done, from
	// which a chain finds the cell each sweep selected.
	grads    bool
	haveHist bool // hist is this plan's
	hist     []float64
	havePsi  bool
	psi      []float64 // n×F features ψ per node: the planes, with noise (see psiOf)
	objRows  [][world.CellFeatures]float64
	objOf    []uint8 // per node: 0, or 1 for the exit's, 2+j for apple j's
	// tangents holds computed tangents, F each: dw_k(s) is at
	// tindex[k·n+s] (in units of F) if tstamp[k·n+s] is tgen, the
	// generation of the plan's tangents.
	tangents []float64
	ntan     int // tangents in use
	tstamp   []uint32
	tindex   []int32
	tgen     uint32
	chain    []int32 // scratch: a chain of nodes
	// onChain[s] is walkGen while s is on the chain exactTangent walks, at
	// chain[chainAt[s]].
	onChain []uint32
	chainAt []int32
	walkGen uint32
	// Dense tangents (maxChainCells exceeded): dw[s·F+f] = ∂w_K(s)/∂θ_f.
	dense        bool
	haveDense    bool
	dw, dwNext   []float64
	tw, tw2      []float64 // w recomputed alongside the dense tangents
	denseChecked bool      // tests: the dense pass recomputed w_K bit for bit

	// The state of the last Probs call: its π is memo[state].
	state int32

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
	pp.rValid = false // θ may have changed
	pp.plan(e)
}

// Probs writes π(·|s) for the agent's cell s, replanning first if the map
// has changed since the last plan.
func (pp *plannerPolicy) Probs(p *Probs, e *world.Episode) {
	*p = *pp.current(e)
}

// draw is Probs followed by Sample (Argmax if greedy) with rng, for
// Runner.Run, without writing π out.
func (pp *plannerPolicy) draw(e *world.Episode, rng *rand.Rand, greedy bool) world.Action {
	if greedy {
		return Argmax(pp.current(e))
	}
	return Sample(pp.current(e), rng)
}

// current returns π(·|s) for the agent's cell s in e, replanning first if
// the map has changed since the last plan; uniform once stopped.
func (pp *plannerPolicy) current(e *world.Episode) *Probs {
	if pp.stopped {
		return &uniformProbs
	}
	if e.Level() != pp.level {
		pp.setLevel(e.Level())
		pp.planned = false
	}
	if !pp.planned || e.EatenMask() != pp.eaten {
		pp.plan(e)
	}
	return pp.policyAt(e)
}

// policyAt returns π(·|s) for the agent's cell s, from the current plan,
// computing it if this plan has not yet, and makes s the state of the last
// Probs call. The result is valid until the next plan.
func (pp *plannerPolicy) policyAt(e *world.Episode) *Probs {
	s := pp.g.Node[e.Cell()]
	pp.state = s
	p := &pp.memo[s]
	if pp.memoPlan[s] != pp.stamp {
		pp.distribution(p, s)
		pp.memoPlan[s] = pp.stamp
	}
	return p
}

// distribution writes softmax(β·Q(s, ·)) into p, bit for bit what Softmax
// writes, computing one exponential per distinct non-maximal value.
func (pp *plannerPolicy) distribution(p *Probs, s int32) {
	sc := (*[world.NumActions]int32)(pp.g.Succ[world.NumActions*int(s):])
	w := pp.w
	q := [world.NumActions]float64{w[sc[0]], w[sc[1]], w[sc[2]], w[sc[3]]}
	b := pp.beta
	bq := [world.NumActions]float64{b * q[0], b * q[1], b * q[2], b * q[3]}
	if (bq[0]-bq[0])+(bq[1]-bq[1])+(bq[2]-bq[2])+(bq[3]-bq[3]) != 0 {
		Softmax(p, &q, b) // an entry is not finite
		return
	}
	m := max(max(bq[0], bq[1]), max(bq[2], bq[3])) // exact: its order changes no bit

	var x [world.NumActions]float64
	for a := range x {
		switch d := bq[a] - m; {
		case d == 0:
			x[a] = 1 // exp(±0)
		case a > 0 && sc[a] == sc[0]:
			x[a] = x[0] // the same cell: the same value
		case a > 1 && sc[a] == sc[1]:
			x[a] = x[1]
		case a > 2 && sc[a] == sc[2]:
			x[a] = x[2]
		default:
			x[a] = math.Exp(d)
		}
	}
	sum := 0.0
	sum += x[0]
	sum += x[1]
	sum += x[2]
	sum += x[3]
	for a := range p {
		p[a] = x[a] / sum
	}
}

// EntropyTerms writes −π(a|s)·log π(a|s) for the state s of the last Probs
// call, computed once per state and plan.
func (pp *plannerPolicy) EntropyTerms(h *Probs) {
	s := pp.state
	if pp.termsPlan[s] != pp.stamp {
		t := &pp.terms[s]
		for a, q := range pp.memo[s] {
			t[a] = 0
			if q > 0 && q <= 1 {
				t[a] = -q * math.Log(q)
			}
		}
		pp.termsPlan[s] = pp.stamp
	}
	*h = pp.terms[s]
}

// GradLogProb adds scale·∇θ log π(a|s) to grad for the state s of the last
// Probs call: scale·β·(∂Q(s,a) − Σ_b π(b|s)·∂Q(s,b)).
func (pp *plannerPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	if pp.stopped {
		return
	}
	const F = world.CellFeatures
	sc := (*[world.NumActions]int32)(pp.g.Succ[world.NumActions*int(pp.state):])
	grad = grad[:F]
	k := scale * pp.beta
	da := (*[F]float64)(pp.tangent(sc[a&3]))
	var (
		db [world.NumActions]*[F]float64
		kb [world.NumActions]float64
		nb int
	)
	for b, pb := range pp.memo[pp.state] {
		if pb == 0 {
			continue
		}
		db[nb], kb[nb] = (*[F]float64)(pp.tangent(sc[b])), k*pb
		nb++
	}
	// Per feature, the same operations in the same order as adding
	// k·∂Q(s,a) and then subtracting each k·π(b|s)·∂Q(s,b) in turn.
	g := (*[F]float64)(grad)
	switch nb {
	case 0:
		for f := range g {
			g[f] += k * da[f]
		}
	case 1:
		d0, k0 := db[0], kb[0]
		for f := range g {
			g[f] = g[f] + k*da[f] - k0*d0[f]
		}
	case 2:
		d0, d1, k0, k1 := db[0], db[1], kb[0], kb[1]
		for f := range g {
			g[f] = g[f] + k*da[f] - k0*d0[f] - k1*d1[f]
		}
	case 3:
		d0, d1, d2, k0, k1, k2 := db[0], db[1], db[2], kb[0], kb[1], kb[2]
		for f := range g {
			g[f] = g[f] + k*da[f] - k0*d0[f] - k1*d1[f] - k2*d2[f]
		}
	default:
		d0, d1, d2, d3, k0, k1, k2, k3 := db[0], db[1], db[2], db[3], kb[0], kb[1], kb[2], kb[3]
		for f := range g {
			g[f] = g[f] + k*da[f] - k0*d0[f] - k1*d1[f] - k2*d2[f] - k3*d3[f]
		}
	}
}

// plannerSlots is the number of levels whose tables a policy keeps: a GA
// worker's policy plays its generation's levels in turn (8 by default),
// while SGD plays each level once.
const plannerSlots = 16

// A plannerSlot holds a level's graph and the planner's per-level tables.
// Its storage is reused for the next level when the slot is recycled.
type plannerSlot struct {
	level  *world.Level // keeps the level alive, so no other has its address
	g      world.Graph
	corner []uint8 // per node, its corner regions: bit c for region c
	objOf  []uint8 // per node: 0, or 1 for the exit's, 2+j for apple j's
	// moves[4·s+a] is the node action a leads to from s, or n (no node)
	// if a wall blocks it: solve's edges, without branches on walls.
	moves []int32
	used  uint64 // when last used, for recycling the least recent
}

// setLevel points the per-level tables at l's slot, building them in the
// least recently used slot if l has none, reusing buffers.
func (pp *plannerPolicy) setLevel(l *world.Level) {
	pp.level = l
	pp.clock++
	var slot *plannerSlot
	for i := range pp.slots {
		if s := pp.slots[i]; s.level == l {
			slot = s
			break
		}
	}
	if slot == nil {
		if len(pp.slots) < plannerSlots {
			slot = new(plannerSlot)
			pp.slots = append(pp.slots, slot)
		} else {
			slot = pp.slots[0]
			for _, s := range pp.slots {
				if s.used < slot.used {
					slot = s
				}
			}
		}
		slot.level = l
		slot.g.Build(l)
		g := &slot.g
		slot.corner = pp.planes.AppendRegions(slot.corner[:0], g)
		slot.objOf = plannerResize(slot.objOf, g.N)
		clear(slot.objOf)
		slot.objOf[g.Exit] = 1
		for j, a := range g.Apples {
			slot.objOf[a] = uint8(2 + j)
		}
		slot.moves = plannerResize(slot.moves, len(g.Succ))
		for i, t := range g.Succ {
			if t == int32(i/world.NumActions) {
				t = int32(g.N)
			}
			slot.moves[i] = t
		}
	}
	slot.used = pp.clock
	g := &slot.g
	pp.g, pp.corner, pp.objOf, pp.moves = g, slot.corner, slot.objOf, slot.moves
	n := g.N
	pp.n = n
	// r and wA have a slot for the node n that blocked moves lead to in
	// moves (see solve).
	for _, b := range []*[]float64{&pp.r, &pp.wA, &pp.wB} {
		*b = plannerResize(*b, n+1)
	}
	pp.dist = plannerResize(pp.dist, n)
	pp.queue = plannerResize(pp.queue, n)
	pp.memo = plannerResize(pp.memo, n)
	if cap(pp.memoPlan) < n {
		pp.memoPlan, pp.terms, pp.termsPlan = make([]int, n), make([]Probs, n), make([]int, n)
	}
	// Stamps of earlier plans are all stale.
	pp.memoPlan, pp.terms, pp.termsPlan = pp.memoPlan[:n], pp.terms[:n], pp.termsPlan[:n]
	if pp.noisy {
		pp.planesB = plannerResize(pp.planesB, pp.planes.Len(l))
	}
	pp.planned, pp.rValid = false, false
}

// plan computes r for the current map, then w_K = r + γ·V_K.
func (pp *plannerPolicy) plan(e *world.Episode) {
	pp.plans++
	pp.stamp++
	pp.planned = true
	pp.haveHist, pp.havePsi, pp.haveDense = false, false, false
	pp.eaten = e.EatenMask()
	pp.rewards(e)
	if pp.iterations == 0 {
		pp.sweeps, pp.dense = 0, false
		pp.solve()
		return
	}
	pp.sweeps = pp.iterations
	pp.dense = pp.n*(pp.sweeps+1) > maxChainCells
	pp.sweep(pp.grads && !pp.dense)
}

// solve sets w = r + γ·V* for the infinite horizon (Iterations 0).
//
// The model is deterministic and its moves are reversible, so an optimal
// walk ends in a cycle that can be taken to be a self-loop (at a cell a
// wall lets the agent stay in) or a back-and-forth between two neighbours:
// on an optimal cycle c_0 … c_{m−1} with m ≥ 3, w(c_{i−1}) ≤ w(c_{i+1})
// for every i (turning back at c_i is no better), so around the cycle the
// w of alternate cells are equal, and the back-and-forth between any two
// neighbours on it is worth as much. w(s) is therefore the best of its
// anchors — r(s)/(1−γ) if s can stay, (r(s) + γ·r(t))/(1−γ²) for each
// neighbour t — and of r(s) + γ·w(t) over its neighbours t: the least
// fixed point above the anchors of w(s) = max(anchors(s), max_t r(s) +
// γ·w(t)), reached by raising w from the anchors along the edges until
// nothing rises (label correcting, a queue of the nodes whose w rose).
// Rounding is monotone, so the fixed point reached, bit for bit, does not
// depend on the order of the updates (TestPlannerInfiniteHorizon checks it
// against naive passes). The work is about two visits per node, where
// finite-horizon sweeps take one pass over the nodes per step of the
// horizon.
func (pp *plannerPolicy) solve() {
	if pp.ctx != nil && pp.done() {
		return
	}
	g := pp.g
	n := g.N
	r, w := pp.r[:n], pp.wA[:n]
	gamma := pp.gamma
	stay, pair := 1/(1-gamma), 1/(1-gamma*gamma)
	na, nb, nc, nd := g.Neighbour[0][:n], g.Neighbour[1][:n], g.Neighbour[2][:n], g.Neighbour[3][:n]
	i := 0
	for end := g.Group[1]; i < end; i++ {
		w[i] = r[i] * stay
	}
	for end := g.Group[2]; i < end; i++ {
		w[i] = max(r[i]*stay, (r[i]+gamma*r[na[i]])*pair)
	}
	for end := g.Group[3]; i < end; i++ {
		w[i] = max(r[i]*stay, (r[i]+gamma*max(r[na[i]], r[nb[i]]))*pair)
	}
	for end := g.Group[4]; i < end; i++ {
		w[i] = max(r[i]*stay, (r[i]+gamma*max(r[na[i]], r[nb[i]], r[nc[i]]))*pair)
	}
	for ; i < n; i++ {
		w[i] = (r[i] + gamma*max(r[na[i]], r[nb[i]], r[nc[i]], r[nd[i]])) * pair
	}
	// One pass raises every node from its neighbours' anchors (in place,
	// branch-free but for the test whether it rose), and queues those that
	// rose: the others' neighbours have seen their value already. Then the
	// queue (a ring of n: a node is in it at most once; inq[s] marks the
	// queued) raises the neighbours of each node it pops. A node whose w
	// rose above that of the node at the head goes to the head (the "small
	// label first" rule of shortest paths, for the largest here): better
	// values spread first, and fewer nodes rise more than once. On training
	// levels a plan visits 1.8 nodes per node after the pass (deploy 1.5),
	// against 2.3–4 with every node queued first in first out.
	queue, inq := pp.queue[:n], pp.dist[:n]
	clear(inq)
	size := 0
	pull := func(i int, m float64) {
		if v := r[i] + gamma*m; v > w[i] {
			w[i] = v
			queue[size], inq[i] = int32(i), 1
			size++
		}
	}
	for i = g.Group[1]; i < g.Group[2]; i++ {
		pull(i, w[na[i]])
	}
	for ; i < g.Group[3]; i++ {
		pull(i, max(w[na[i]], w[nb[i]]))
	}
	for ; i < g.Group[4]; i++ {
		pull(i, max(w[na[i]], w[nb[i]], w[nc[i]]))
	}
	for ; i < n; i++ {
		pull(i, max(w[na[i]], w[nb[i]], w[nc[i]], w[nd[i]]))
	}
	// A blocked move leads to node n, whose r is −∞: it never rises, and
	// the loop needs no test for walls (which it would mispredict).
	r, w = pp.r[:n+1], pp.wA[:n+1]
	r[n], w[n] = math.Inf(-1), 0
	moves := pp.moves[:world.NumActions*n]
	head := 0
	// push queues u, whose w rose to c, unless it is queued already.
	push := func(u int32, c float64) {
		if inq[u] != 0 {
			return
		}
		inq[u] = 1
		if size > 0 && c > w[queue[head]] {
			if head--; head < 0 {
				head = n - 1
			}
			queue[head] = u
		} else {
			tail := head + size
			if tail >= n {
				tail -= n
			}
			queue[tail] = u
		}
		size++
	}
	for size > 0 {
		s := queue[head]
		if head++; head == n {
			head = 0
		}
		size--
		inq[s] = 0
		ws := gamma * w[s]
		for _, u := range (*[world.NumActions]int32)(moves[world.NumActions*int(s):]) {
			if c := r[u] + ws; c > w[u] {
				w[u] = c
				push(u, c)
			}
		}
	}
	pp.w = w[:n]
}

// sweep runs value iteration from w_0 = r and points pp.w at w_K; with
// history, it keeps every sweep's w in pp.hist.
func (pp *plannerPolicy) sweep(history bool) {
	n := pp.n
	r := pp.r[:n]
	gamma := pp.gamma
	w, next := pp.wA[:n], pp.wB[:n]
	if history {
		pp.hist = plannerResize(pp.hist, n*(pp.sweeps+1))
		w = pp.hist[:n]
	}
	for j := range w {
		w[j] = r[j] + gamma*0 // V_0 = 0
	}
	pp.swept = pp.sweeps
	for k := range pp.sweeps {
		if pp.interrupted(k) {
			return
		}
		if history {
			next = pp.hist[(k+1)*n:][:n]
		}
		pp.sweepGroups(next, w, r)
		changed := !slices.Equal(next, w) // stops at the first change: cheap
		w, next = next, w
		if !changed {
			pp.swept = k + 1
			break
		}
	}
	pp.w = w
	pp.haveHist = history
}

// sweepGroups sets next(s) = r(s) + γ·max_t w(t) over the distinct
// successors t of every node s (its open neighbours, and itself if a wall
// blocks a move: every node in the groups of 0 to 3 neighbours), group by
// group. Go's max ignores order and repeats, so this is, bit for bit, the
// max over the four actions' successors. (Maxima by comparison branch on
// data a fresh plan cannot predict: slower, except in a benchmark that
// repeats one plan.)
func (pp *plannerPolicy) sweepGroups(next, w, r []float64) {
	gamma := pp.gamma
	g := pp.g
	n := g.N
	next, w, r = next[:n], w[:n], r[:n]
	na, nb, nc, nd := g.Neighbour[0][:n], g.Neighbour[1][:n], g.Neighbour[2][:n], g.Neighbour[3][:n]
	// A neighbour is a node of g, below n = len(w), by construction of
	// the graph: reading w at it without a bounds test is safe, and saves
	// a tenth of the sweep.
	wp := unsafe.Pointer(unsafe.SliceData(w))
	at := func(j int32) float64 { return *(*float64)(unsafe.Add(wp, uintptr(j)*8)) }
	i := 0
	for end := g.Group[1]; i < end; i++ {
		next[i] = r[i] + gamma*w[i]
	}
	for end := g.Group[2]; i < end; i++ {
		next[i] = r[i] + gamma*max(w[i], at(na[i]))
	}
	for end := g.Group[3]; i < end; i++ {
		next[i] = r[i] + gamma*max(w[i], at(na[i]), at(nb[i]))
	}
	for end := g.Group[4]; i < end; i++ {
		next[i] = r[i] + gamma*max(w[i], at(na[i]), at(nb[i]), at(nc[i]))
	}
	for ; i < n; i++ {
		next[i] = r[i] + gamma*max(at(na[i]), at(nb[i]), at(nc[i]), at(nd[i]))
	}
}

// rewards fills r with θ·ψ for every node in the current state of e. Between
// plans of one episode only eaten apples change it, so only their cells are
// recomputed (noise aside, which is drawn anew at every plan).
func (pp *plannerPolicy) rewards(e *world.Episode) {
	const F = world.CellFeatures
	n, th, g := pp.n, pp.theta, pp.g
	r := pp.r[:n]
	if pp.noisy {
		l := pp.level
		pp.pcg = seeds.PCG(l.Seed, "planner/planes", uint64(e.Steps()))
		pp.planes.Observe(pp.planesB, e, pp.rng)
		for j, i := range g.Cell {
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
	l := pp.level
	eaten := e.EatenMask()
	if pp.rValid {
		// Within an episode apples only disappear.
		for j := range l.Apples {
			if (eaten^pp.rEaten)&(1<<j) != 0 {
				o := g.Apples[j]
				r[o] = pp.cornerR[pp.corner[o]]
				if eaten&(1<<j) == 0 {
					r[o] += th[world.FeatColour+int(l.Apples[j].Colour)] + th[world.FeatKind+int(world.Apple)]
				}
			}
		}
		pp.rEaten = eaten
		return
	}
	for m, f := range &plannerCorners {
		pp.cornerR[m] = ts[0]*f[0] + ts[1]*f[1] + ts[2]*f[2] + ts[3]*f[3]
	}
	corner := pp.corner[:len(r)]
	for j := range r {
		r[j] = pp.cornerR[corner[j]]
	}
	r[g.Exit] += th[world.FeatColour+int(l.Exit.Colour)] + th[world.FeatKind+int(world.Exit)]
	for j, a := range l.Apples {
		if !e.Eaten(j) {
			r[g.Apples[j]] += th[world.FeatColour+int(a.Colour)] + th[world.FeatKind+int(world.Apple)]
		}
	}
	pp.rValid, pp.rEaten = true, eaten
}

// tangent returns dw_K(s), the tangent of w_K at node s, computing it if
// need be: ψ(s) + γ·(ψ(s_{K-1}) + γ·(… + γ·ψ(s_0))) along the chain s,
// s_{K-1} = the cell sweep K−1 selected for s, …, evaluated from the bottom
// up as the sweeps did. The slice is valid until the next plan.
func (pp *plannerPolicy) tangent(s int32) []float64 {
	const F = world.CellFeatures
	pp.grads = true
	if pp.iterations == 0 {
		return pp.exactTangent(s)
	}
	if pp.dense {
		if !pp.haveDense {
			pp.computeDenseTangents()
		}
		return pp.dw[int(s)*F:][:F]
	}
	if !pp.haveHist {
		pp.sweep(true) // the same w_K again, keeping every sweep's w
	}
	n, K := pp.n, pp.sweeps
	if !pp.havePsi {
		pp.setFeatures()
		if size := n * (K + 1); cap(pp.tstamp) < size {
			pp.tstamp, pp.tindex = make([]uint32, size), make([]int32, size)
		} else {
			pp.tstamp, pp.tindex = pp.tstamp[:size], pp.tindex[:size]
		}
		if pp.tgen++; pp.tgen == 0 { // wrapped: old stamps could match
			clear(pp.tstamp[:cap(pp.tstamp)])
			pp.tgen = 1
		}
		pp.ntan = 0
		pp.havePsi = true
	}
	gen, stamp, index := pp.tgen, pp.tstamp, pp.tindex
	if at := K*n + int(s); stamp[at] == gen {
		o := int(index[at]) * F
		return pp.tangents[o : o+F : o+F]
	}
	// Walk down the chain of selected cells from (s, depth K) to depth 0
	// (dw_0 = ψ) or to a tangent computed already: chains meet where they
	// reach the same cell at the same depth, typically where they end in
	// a cell the agent would stay in.
	if cap(pp.chain) < K {
		pp.chain = make([]int32, 0, K)
	}
	chain := pp.chain[:0]
	u, k := s, K
	hist, succ, swept := pp.hist, pp.g.Succ, pp.swept
	for {
		chain = append(chain, u)
		// The successor sweep k−1 selected: the first, in action order,
		// of those with the largest w_{k−1} (sweeps from swept on see the
		// w of sweep swept).
		row := min(k-1, swept) * n
		i := world.NumActions * int(u)
		_ = succ[i+3]
		t0, t1, t2, t3 := succ[i], succ[i+1], succ[i+2], succ[i+3]
		best, bw := t0, hist[row+int(t0)]
		if x := hist[row+int(t1)]; x > bw {
			best, bw = t1, x
		}
		if x := hist[row+int(t2)]; x > bw {
			best, bw = t2, x
		}
		if x := hist[row+int(t3)]; x > bw {
			best = t3
		}
		u, k = best, k-1
		if k == 0 || stamp[k*n+int(u)] == gen {
			break
		}
	}
	// The 14 features in locals, where the compiler keeps them in
	// registers, from the bottom of the chain back up, as the sweeps
	// compute them.
	var base *[F]float64
	if k == 0 {
		base = pp.psiOf(u) // dw_0 = ψ
	} else {
		base = (*[F]float64)(pp.tangents[int(index[k*n+int(u)])*F:])
	}
	a0, a1, a2, a3, a4, a5, a6 := base[0], base[1], base[2], base[3], base[4], base[5], base[6]
	a7, a8, a9, a10, a11, a12, a13 := base[7], base[8], base[9], base[10], base[11], base[12], base[13]
	g := pp.gamma
	// Slots for the chain's tangents; the slice is replaced only when it
	// grows (assigning it on every call costs GC write barriers).
	if need := (pp.ntan + len(chain)) * F; need > len(pp.tangents) {
		pp.tangents = slices.Grow(pp.tangents[:pp.ntan*F], 2*need)[:2*need]
	}
	tangents, next := pp.tangents, pp.ntan
	for i := len(chain) - 1; i >= 0; i-- {
		k++
		v := int(chain[i])
		p := pp.psiOf(int32(v))
		a0, a1, a2, a3, a4, a5, a6 = p[0]+g*a0, p[1]+g*a1, p[2]+g*a2, p[3]+g*a3, p[4]+g*a4, p[5]+g*a5, p[6]+g*a6
		a7, a8, a9, a10, a11, a12, a13 = p[7]+g*a7, p[8]+g*a8, p[9]+g*a9, p[10]+g*a10, p[11]+g*a11, p[12]+g*a12, p[13]+g*a13
		at := k*n + v
		stamp[at], index[at] = gen, int32(next)
		t := (*[F]float64)(tangents[next*F:])
		// Element by element: a composite literal goes through the stack.
		t[0], t[1], t[2], t[3], t[4], t[5], t[6] = a0, a1, a2, a3, a4, a5, a6
		t[7], t[8], t[9], t[10], t[11], t[12], t[13] = a7, a8, a9, a10, a11, a12, a13
		next++
	}
	pp.ntan = next
	o := (next - 1) * F // (s, K), the last computed
	return tangents[o : o+F : o+F]
}

// exactTangent returns dw(s) for the infinite-horizon w of solve,
// computing it if need be. Each node's w is one of its candidates (see
// solve): the first, in this order, equal to it gives the piece of w
// containing θ, and so the tangent: staying, ψ(s)/(1−γ); going back and
// forth with t, (ψ(s) + γ·ψ(t))/(1−γ²); moving to t, ψ(s) + γ·dw(t). The
// moves form chains that end in an anchor, a tangent computed before, or a
// cycle c_0 … c_{m−1} of moves (equal candidates), whose tangent at c_0 is
// Σ_j γ^j·ψ(c_j)/(1−γ^m). The slice is valid until the next plan.
func (pp *plannerPolicy) exactTangent(s int32) []float64 {
	const F = world.CellFeatures
	n := pp.n
	if !pp.havePsi {
		pp.setFeatures()
		pp.tstamp, pp.tindex = plannerResize(pp.tstamp, n), plannerResize(pp.tindex, n)
		pp.onChain, pp.chainAt = plannerResize(pp.onChain, n), plannerResize(pp.chainAt, n)
		if pp.tgen++; pp.tgen == 0 { // wrapped: old stamps could match
			clear(pp.tstamp[:cap(pp.tstamp)])
			pp.tgen = 1
		}
		pp.ntan = 0
		pp.havePsi = true
		if len(pp.tangents) < n*F { // every node's at most, once each
			pp.tangents = make([]float64, n*F)
		}
	}
	gen, stamp, index := pp.tgen, pp.tstamp[:n], pp.tindex[:n]
	store := func(v int32, t *[F]float64) {
		stamp[v], index[v] = gen, int32(pp.ntan)
		*(*[F]float64)(pp.tangents[pp.ntan*F:]) = *t
		pp.ntan++
	}
	if stamp[s] == gen {
		o := int(index[s]) * F
		return pp.tangents[o : o+F : o+F]
	}
	if pp.walkGen++; pp.walkGen == 0 {
		clear(pp.onChain[:cap(pp.onChain)])
		pp.walkGen = 1
	}
	walk, onChain, chainAt := pp.walkGen, pp.onChain[:n], pp.chainAt[:n]
	g, r, w, gamma := pp.g, pp.r[:n], pp.w[:n], pp.gamma
	stay, pair := 1/(1-gamma), 1/(1-gamma*gamma)
	var (
		base  [F]float64 // the tangent below the chain
		cycle = -1       // the chain's cycle starts at chain[cycle]
	)
	chain := pp.chain[:0]
	u := s
walk:
	for {
		// u's candidate equal to w(u), as solve computed them.
		sc := (*[world.NumActions]int32)(g.Succ[world.NumActions*int(u):])
		wu := w[u]
		pu := pp.psiOf(u)
		if int(u) < g.Group[world.NumActions] && r[u]*stay == wu {
			for f := range base {
				base[f] = pu[f] * stay
			}
			store(u, &base)
			break
		}
		for _, t := range sc {
			if t != u && (r[u]+gamma*r[t])*pair == wu {
				pt := pp.psiOf(t)
				for f := range base {
					base[f] = (pu[f] + gamma*pt[f]) * pair
				}
				store(u, &base)
				break walk
			}
		}
		next := int32(-1)
		for _, t := range sc {
			if t != u && r[u]+gamma*w[t] == wu {
				next = t
				break
			}
		}
		if next < 0 { // w(u) is not finite: no candidate equals it
			for f := range base {
				base[f] = pu[f] * stay
			}
			store(u, &base)
			break
		}
		onChain[u], chainAt[u] = walk, int32(len(chain))
		chain = append(chain, u)
		switch {
		case stamp[next] == gen:
			base = *(*[F]float64)(pp.tangents[int(index[next])*F:])
			break walk
		case onChain[next] == walk:
			cycle = int(chainAt[next])
			break walk
		}
		u = next
	}
	pp.chain = chain
	end := len(chain)
	if cycle >= 0 {
		// dw(c_0) = Σ_j γ^j·ψ(c_j)/(1−γ^m), then the cycle's other
		// cells backwards from c_{m−1}, whose move is to c_0.
		m := end - cycle
		var sum [F]float64
		for j := end - 1; j >= cycle; j-- {
			p := pp.psiOf(chain[j])
			for f := range sum {
				sum[f] = p[f] + gamma*sum[f]
			}
		}
		gm := 1.0
		for range m {
			gm *= gamma
		}
		for f := range base {
			base[f] = sum[f] / (1 - gm)
		}
		c0 := base
		for j := end - 1; j > cycle; j-- {
			p := pp.psiOf(chain[j])
			for f := range base {
				base[f] = p[f] + gamma*base[f]
			}
			store(chain[j], &base)
		}
		store(chain[cycle], &c0)
		base, end = c0, cycle
	}
	for j := end - 1; j >= 0; j-- {
		p := pp.psiOf(chain[j])
		for f := range base {
			base[f] = p[f] + gamma*base[f]
		}
		store(chain[j], &base)
	}
	o := int(index[s]) * F
	return pp.tangents[o : o+F : o+F]
}

// computeDenseTangents reruns the K sweeps of the last plan, carrying the
// tangents dw_k of every node through the cell each max selects (used when
// the chain tables would be too large).
func (pp *plannerPolicy) computeDenseTangents() {
	const F = world.CellFeatures
	n := pp.n
	if !pp.havePsi {
		pp.setFeatures()
		pp.havePsi = true
	}
	pp.psi = plannerResize(pp.psi, n*F)
	for j := range n {
		copy(pp.psi[j*F:][:F], pp.psiOf(int32(j))[:])
	}
	pp.dw = plannerResize(pp.dw, n*F)
	pp.dwNext = plannerResize(pp.dwNext, n*F)
	pp.tw = plannerResize(pp.tw, n)
	pp.tw2 = plannerResize(pp.tw2, n)
	psi := pp.psi[:n*F]
	r, w, next := pp.r[:n], pp.tw[:n], pp.tw2[:n]
	g := pp.gamma
	for j := range w {
		w[j] = r[j] + g*0
	}
	dw, dnext := pp.dw[:n*F], pp.dwNext[:n*F]
	copy(dw, psi)
	for k := range pp.sweeps {
		if pp.interrupted(k) {
			return
		}
		for s := range n {
			sc := (*[world.NumActions]int32)(pp.g.Succ[world.NumActions*s:])
			best := sc[0]
			q := w[best]
			for _, t := range sc[1:] {
				if w[t] > q {
					best, q = t, w[t]
				}
			}
			next[s] = r[s] + g*max(w[sc[0]], w[sc[1]], w[sc[2]], w[sc[3]])
			src := (*[F]float64)(dw[int(best)*F:])
			dst := (*[F]float64)(dnext[s*F:])
			ps := (*[F]float64)(psi[s*F:])
			for f := range dst {
				dst[f] = ps[f] + g*src[f]
			}
		}
		w, next = next, w
		dw, dnext = dnext, dw
	}
	pp.denseChecked = slices.Equal(w, pp.w[:n])
	pp.dw, pp.dwNext = dw, dnext
	pp.haveDense = true
}

// setFeatures prepares psiOf for the state of the last plan: with noise
// the planes of the plan, without it a row per object present (exit and
// uneaten apples); every other node's features are its corner regions'.
func (pp *plannerPolicy) setFeatures() {
	const F = world.CellFeatures
	if pp.noisy {
		pp.psi = plannerResize(pp.psi, pp.n*F)
		for j, i := range pp.g.Cell {
			copy(pp.psi[j*F:][:F], pp.planesB[int(i)*F:][:F])
		}
		return
	}
	l, g := pp.level, pp.g
	pp.objRows = plannerResize(pp.objRows, 1+len(l.Apples))
	row := func(k int, node int32, o world.Object) {
		r := &pp.objRows[k]
		*r = plannerPsi[pp.corner[node]]
		r[world.FeatColour+int(o.Colour)] = 1
		r[world.FeatKind+int(o.Kind)] = 1
	}
	row(0, g.Exit, l.Exit)
	for j, a := range l.Apples {
		row(1+j, g.Apples[j], a)
	}
}

// psiOf returns ψ(v), the features of node v in the state of the last
// plan (see setFeatures).
func (pp *plannerPolicy) psiOf(v int32) *[world.CellFeatures]float64 {
	if pp.noisy {
		return (*[world.CellFeatures]float64)(pp.psi[int(v)*world.CellFeatures:])
	}
	if o := pp.objOf[v]; o == 1 || o > 1 && pp.eaten&(1<<(o-2)) == 0 {
		return &pp.objRows[o-1]
	}
	return &plannerPsi[pp.corner[v]]
}

// plannerPsi[m] are the features of a cell without an object in the
// corner regions m: its corner features.
var plannerPsi = func() (t [1 << staticFeatures][world.CellFeatures]float64) {
	for m := range t {
		copy(t[m][staticFirst:], plannerCorners[m][:])
	}
	return t
}()

// plannerResize returns s resized to length n, reallocating only when its capacity
// is too small. The contents are unspecified.
func plannerResize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

// plannerCorners[m] are the corner features of a cell in the corner
// regions m (bit c for region c): 1 or 0 each.
var plannerCorners = func() (t [1 << staticFeatures][staticFeatures]float64) {
	for m := range t {
		for c := range staticFeatures {
			if m&(1<<c) != 0 {
				t[m][c] = 1
			}
		}
	}
	return t
}()
