package agents

// The planner as it was before the speed work of issue 16 (commit 2df656e),
// kept as the reference the rewritten planner must match bit for bit: the
// same probabilities at every state and the same gradients.

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

var _ = math.Abs

// Policy returns a planning policy. It aliases theta (length Dim()),
// reading it at Reset and when it replans, never writing it.
func refPolicy(p Planner, theta []float64) *refPlannerPolicy {
	pp := &refPlannerPolicy{theta: theta[:world.CellFeatures], gamma: p.Discount, beta: p.Beta,
		iterations: max(p.Iterations, 0), planes: p.Planes}
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

// plannerPolicy is the Differentiable policy of a Planner. Floor cells are
// numbered 0..n-1 in reading order.
type refPlannerPolicy struct {
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
}

// Reset plans from the start of e.
func (pp *refPlannerPolicy) Reset(e *world.Episode) {
	if l := e.Level(); l != pp.level {
		pp.setLevel(l)
	}
	pp.plan(e)
}

// Probs writes π(·|s) for the agent's cell s, replanning first if the map
// has changed since the last plan.
func (pp *refPlannerPolicy) Probs(p *Probs, e *world.Episode) {
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
func (pp *refPlannerPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
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
func (pp *refPlannerPolicy) setLevel(l *world.Level) {
	pp.level = l
	cells := l.Width * l.Height
	pp.floorOf = refResize(pp.floorOf, cells)
	n := 0
	for i, wall := range l.Walls {
		pp.floorOf[i] = -1
		if !wall {
			pp.floorOf[i] = int32(n)
			n++
		}
	}
	pp.n = n
	pp.cellOf = refResize(pp.cellOf, n)
	for i, j := range pp.floorOf {
		if j >= 0 {
			pp.cellOf[j] = int32(i)
		}
	}
	pp.succ = refResize(pp.succ, n)
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
	pp.static = refResize(pp.static, n*staticFeatures)
	for j, i := range pp.cellOf {
		x, y := int(i)%l.Width, int(i)/l.Width
		left, top := x <= cs, y <= cs
		right, bottom := x >= l.Width-1-cs, y >= l.Height-1-cs
		f := pp.static[j*staticFeatures:][:staticFeatures]
		f[0] = refIndicator(left && top)
		f[1] = refIndicator(right && top)
		f[2] = refIndicator(left && bottom)
		f[3] = refIndicator(right && bottom)
	}
	pp.objects = refResize(pp.objects, 1+len(l.Apples))
	pp.objects[0] = pp.floorOf[l.Index(l.Exit.Pos)]
	for j, a := range l.Apples {
		pp.objects[1+j] = pp.floorOf[l.Index(a.Pos)]
	}
	for _, b := range []*[]float64{&pp.r, &pp.v, &pp.w} {
		*b = refResize(*b, n)
	}
	pp.dist = refResize(pp.dist, n)
	pp.queue = refResize(pp.queue, n)
	if pp.noisy {
		pp.planesB = refResize(pp.planesB, pp.planes.Len(l))
	}
	pp.planned = false
}

// plan computes r for the current map, then V_K and w = r + γ·V_K.
func (pp *refPlannerPolicy) plan(e *world.Episode) {
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
	for range pp.sweeps {
		refDiscounted(w, r, v, pp.gamma)
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
	refDiscounted(w, r, v, pp.gamma)
}

// discounted sets w = r + γ·v. Forward sweeps and tangent sweeps share it so
// that both compute bitwise the same values (and pick the same argmax).
func refDiscounted(w, r, v []float64, gamma float64) {
	r, v = r[:len(w)], v[:len(w)]
	for j := range w {
		w[j] = r[j] + gamma*v[j]
	}
}

// rewards fills r with θ·ψ for every floor cell in the current state of e.
func (pp *refPlannerPolicy) rewards(e *world.Episode) {
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
func (pp *refPlannerPolicy) cover(from int32) int {
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
func (pp *refPlannerPolicy) computeTangents() {
	const F = world.CellFeatures
	n := pp.n
	pp.psi = refResize(pp.psi, n*F)
	pp.dw = refResize(pp.dw, n*F)
	pp.dwNext = refResize(pp.dwNext, n*F)
	pp.tv = refResize(pp.tv, n)
	pp.tw = refResize(pp.tw, n)
	psi := pp.psi[:n*F]
	pp.features(psi)
	r, v, w := pp.r[:n], pp.tv[:n], pp.tw[:n]
	clear(v)
	dw, next := pp.dw[:n*F], pp.dwNext[:n*F]
	copy(dw, psi)
	g := pp.gamma
	succ := pp.succ[:n]
	for range pp.sweeps {
		refDiscounted(w, r, v, g)
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
func (pp *refPlannerPolicy) features(psi []float64) {
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

// refResize returns s resized to length n, reallocating only when its capacity
// is too small. The contents are unspecified.
func refResize[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n)
	}
	return s[:n]
}

func refIndicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// TestPlannerMatchesReference plays episodes with the planner and with the
// reference (the planner before issue 16) side by side, with a finite
// number of sweeps (Iterations > 0: since the second part of issue 16,
// Iterations 0 is the infinite horizon, see TestPlannerInfiniteHorizon; the
// reference's 0 is the old meaning, K = the agent's eccentricity), and
// requires the
// same bits: π(·|s) at every state, and ∇log π for the sampled action and,
// as an entropy bonus asks, for every action, whether the tangents come
// from chains of selected cells or from the dense fallback.
func TestPlannerMatchesReference(t *testing.T) {
	for _, tc := range []struct {
		name   string
		preset string
		pl     Planner
		scale  float64
		dense  bool
	}{
		{"train", "train", Planner{Iterations: 20}, 1, false},
		{"train/trained-scale", "train", Planner{Iterations: 20}, 30, false},
		{"train/zero", "train", Planner{Iterations: 20}, 0, false},
		{"train/huge", "train", Planner{Iterations: 20}, 1e299, false},
		{"deploy", "deploy", Planner{Iterations: 60}, 1, false},
		{"deploy/dense", "deploy", Planner{Iterations: 60}, 1, true},
		{"train/gamma0.95-beta2", "train-randomized", Planner{Discount: 0.95, Beta: 2, Iterations: 20}, 3, false},
		{"deploy/corner5", "deploy", Planner{Planes: world.Planes{CornerSize: 5}, Iterations: 60}, 0.3, false},
		{"train/3-sweeps", "train", Planner{Iterations: 3}, 1, false},
		{"deploy/noise", "deploy", Planner{Planes: world.Planes{Noise: world.Noise{Colour: 0.1, Kind: 0.5, Position: 0.05}}, Iterations: 60}, 1, false},
		{"deploy/noise-dense", "deploy", Planner{Planes: world.Planes{Noise: world.Noise{Colour: 0.1}}, Iterations: 60}, 2, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.dense {
				defer func(old int) { maxChainCells = old }(maxChainCells)
				maxChainCells = 0
			}
			d, err := world.Preset(tc.preset)
			if err != nil {
				t.Fatal(err)
			}
			gen, err := world.NewGenerator(d)
			if err != nil {
				t.Fatal(err)
			}
			rng := seeds.New(4, "test/planner-reference", uint64(len(tc.name)))
			theta := make([]float64, tc.pl.Dim())
			// One policy of each kind plays every level, as a worker's does.
			pol := tc.pl.Policy(theta).(*plannerPolicy)
			ref := refPolicy(tc.pl, theta)
			grads := 0
			steps := playSideBySide(gen, rng, theta, tc.scale, 12, pol, ref, func(seed uint64, e *world.Episode, p, rp *Probs) world.Action {
				if *p != *rp {
					t.Fatalf("seed %d step %d: π %v, reference %v", seed, e.Steps(), *p, *rp)
				}
				a := Sample(p, rng)
				if seed%3 != 1 { // some episodes act only, then gradients resume
					g, rg := make([]float64, len(theta)), make([]float64, len(theta))
					pol.GradLogProb(g, a, 1)
					ref.GradLogProb(rg, a, 1)
					for b := range world.Action(world.NumActions) {
						h := 0.1 * float64(b+1)
						pol.GradLogProb(g, b, h)
						ref.GradLogProb(rg, b, h)
					}
					if !slices.Equal(g, rg) {
						t.Fatalf("seed %d step %d: gradient\n%v\nreference\n%v", seed, e.Steps(), g, rg)
					}
					grads++
				}
				return a
			})
			if grads == 0 || steps == 0 {
				t.Fatal("nothing compared")
			}
			t.Logf("%d steps, %d gradients compared", steps, grads)
		})
	}
}

// BenchmarkPlannerPlanReference11 is BenchmarkPlannerPlan11 for the
// reference planner: the speed-up of a plan, measured side by side.
func BenchmarkPlannerPlanReference11(b *testing.B) {
	l := plannerBenchLevel(b, "train", 11)
	pol := refPolicy(Planner{}, plannerBenchTheta())
	e := world.NewEpisode(l)
	for b.Loop() {
		pol.Reset(e)
	}
}

// BenchmarkPlannerPlanMixedReference is BenchmarkPlannerPlanMixed for the
// reference planner.
func BenchmarkPlannerPlanMixedReference(b *testing.B) {
	benchmarkPlanMixed(b, func(theta []float64) (Policy, func() int) {
		pol := refPolicy(Planner{}, theta)
		return pol, func() int { return pol.n * pol.sweeps }
	}, "ns/node-sweep")
}

// TestPlannerInfiniteHorizon: the infinite-horizon planner (Iterations 0)
// agrees with value iteration run to convergence (the reference with
// enough sweeps that γ^K is far below rounding), in π at every state and
// in ∇log π, and its w is a fixed point of the Bellman equation up to
// rounding.
func TestPlannerInfiniteHorizon(t *testing.T) {
	for _, tc := range []struct {
		name   string
		preset string
		pl     Planner
		sweeps int // of the converged reference
		scale  float64
		levels uint64
	}{
		{"train", "train", Planner{}, 500, 1, 12},
		{"train/trained-scale", "train", Planner{}, 500, 30, 12},
		{"train/gamma0.95-beta2", "train-randomized", Planner{Discount: 0.95, Beta: 2}, 1000, 3, 12},
		{"deploy", "deploy", Planner{}, 500, 1, 3},
		{"deploy/corner5", "deploy", Planner{Planes: world.Planes{CornerSize: 5}}, 500, 0.3, 3},
		{"deploy/noise", "deploy", Planner{Planes: world.Planes{Noise: world.Noise{Colour: 0.1, Kind: 0.5, Position: 0.05}}}, 500, 1, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gen := plannerGenerator(t, tc.preset)
			rng := seeds.New(4, "test/planner-infinite", uint64(len(tc.name)))
			theta := make([]float64, tc.pl.Dim())
			pol := tc.pl.Policy(theta).(*plannerPolicy)
			conv := tc.pl
			conv.Iterations = tc.sweeps
			ref := refPolicy(conv, theta)
			worstP, worstG := 0.0, 0.0
			steps := playSideBySide(gen, rng, theta, tc.scale, tc.levels, pol, ref, func(_ uint64, _ *world.Episode, p, rp *Probs) world.Action {
				checkBellman(t, pol)
				for a := range p {
					worstP = max(worstP, math.Abs(p[a]-rp[a]))
				}
				a := Sample(p, rng)
				g, rg := make([]float64, len(theta)), make([]float64, len(theta))
				pol.GradLogProb(g, a, 1)
				ref.GradLogProb(rg, a, 1)
				diff, norm := 0.0, 0.0
				for i := range g {
					diff += (g[i] - rg[i]) * (g[i] - rg[i])
					norm += rg[i] * rg[i]
				}
				worstG = max(worstG, math.Sqrt(diff)/math.Max(math.Sqrt(norm), 1e-3))
				return a
			})
			t.Logf("%d steps: worst |Δπ| %.2g, worst relative gradient error %.2g", steps, worstP, worstG)
			if worstP > 1e-12 || worstG > 1e-9 {
				t.Errorf("worst |Δπ| %.3g (≤ 1e-12), worst relative gradient error %.3g (≤ 1e-9) against value iteration to convergence", worstP, worstG)
			}
		})
	}
}

// playSideBySide plays levels 0..levels−1 of gen with pol and ref side by
// side, θ drawn anew from N(0, scale²) for each level (pol and ref alias
// theta), and at every step gives step both policies' π, stepping both
// episodes by the action it returns. It returns the steps played.
func playSideBySide(gen *world.Generator, rng *rand.Rand, theta []float64, scale float64, levels uint64,
	pol Policy, ref *refPlannerPolicy, step func(seed uint64, e *world.Episode, p, rp *Probs) world.Action) int {
	var e, re world.Episode
	steps := 0
	for seed := range levels {
		for i := range theta {
			theta[i] = scale * rng.NormFloat64()
		}
		l := gen.Level(seed)
		e.Reset(l)
		re.Reset(l)
		pol.Reset(&e)
		ref.Reset(&re)
		for !e.Done() {
			var p, rp Probs
			pol.Probs(&p, &e)
			ref.Probs(&rp, &re)
			a := step(seed, &e, &p, &rp)
			e.Step(a)
			re.Step(a)
			steps++
		}
	}
	return steps
}

// checkBellman fails t unless the last plan's w satisfies w(s) = r(s) +
// γ·max_t w(t) over the successors t of every node s, to within a few
// units of rounding of the values involved, and is, bit for bit, the fixed
// point that naive passes reach from the anchors: raising every node in
// index order until nothing rises (solve's order of updates is another).
func checkBellman(t *testing.T, pp *plannerPolicy) {
	t.Helper()
	gamma := pp.gamma
	naive := make([]float64, pp.n)
	for s := range naive {
		sc := pp.g.Succ[world.NumActions*s:][:world.NumActions]
		naive[s] = math.Inf(-1)
		for _, u := range sc {
			if int(u) == s {
				naive[s] = max(naive[s], pp.r[s]*(1/(1-gamma)))
			} else {
				naive[s] = max(naive[s], (pp.r[s]+gamma*pp.r[u])*(1/(1-gamma*gamma)))
			}
		}
	}
	for changed := true; changed; {
		changed = false
		for s := range naive {
			for _, u := range pp.g.Succ[world.NumActions*s:][:world.NumActions] {
				if c := pp.r[s] + gamma*naive[u]; int(u) != s && c > naive[s] {
					naive[s], changed = c, true
				}
			}
		}
	}
	if !slices.Equal(naive, pp.w[:pp.n]) {
		t.Fatalf("w differs from the naive passes' fixed point:\n%v\n%v", pp.w[:pp.n], naive)
	}
	for s := range pp.n {
		sc := pp.g.Succ[world.NumActions*s:][:world.NumActions]
		m := math.Inf(-1)
		for _, u := range sc {
			m = max(m, pp.w[u])
		}
		want := pp.r[s] + pp.gamma*m
		scale := math.Abs(pp.r[s]) + math.Abs(m) + math.Abs(pp.w[s])
		if math.Abs(pp.w[s]-want) > 1e-13*scale/(1-pp.gamma) {
			t.Fatalf("node %d: w %v, r + γ·max w(succ) %v", s, pp.w[s], want)
		}
	}
}
