// Package agentstest checks that policies and policy families keep the
// contracts of package agents, in the manner of testing/fstest: a family or
// scripted agent defined anywhere runs TestFamily, CheckGradients or
// TestPolicy on a few levels in its tests.
//
// Every check is deterministic: the parameter vectors and action streams it
// uses are derived from the seed it is given (or a fixed one).
package agentstest

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// maxProblems bounds the problems a check reports, so that a badly broken
// policy gives a readable error.
const maxProblems = 20

// DistributionTolerance is how far from 1 the sum of a Probs may be.
const DistributionTolerance = 1e-9

type problems struct{ errs []error }

func (p *problems) add(format string, args ...any) {
	if len(p.errs) < maxProblems {
		p.errs = append(p.errs, fmt.Errorf(format, args...))
	} else if len(p.errs) == maxProblems {
		p.errs = append(p.errs, errors.New("(further problems not reported)"))
	}
}

func (p *problems) err() error { return errors.Join(p.errs...) }

// TestPolicy plays p through each level twice, sampling actions from the same
// derived stream both times, and checks that:
//   - every Probs is a distribution: entries finite and non-negative, summing
//     to 1 within DistributionTolerance;
//   - Probs does not modify the episode (position, steps, visit counts,
//     eaten apples, done, return);
//   - the two runs are identical (same actions, cells and bitwise-equal
//     Probs): behaviour is a function of the level and the action stream,
//     and Reset forgets the previous episode.
//
// It returns every problem found, joined (at most 20).
func TestPolicy(p agents.Policy, levels []*world.Level) error {
	var probs problems
	testPolicy(&probs, "", p, levels, 0)
	return probs.err()
}

func testPolicy(probs *problems, prefix string, p agents.Policy, levels []*world.Level, seed uint64) {
	for k, l := range levels {
		where := fmt.Sprintf("%slevel %d", prefix, k)
		a := newPlayer(p, nil, seeds.New(seed, "agentstest/policy", uint64(k)))
		a.checks = probs
		a.where = where
		a.run(l)
		b := newPlayer(p, nil, seeds.New(seed, "agentstest/policy", uint64(k)))
		b.run(l)
		if t, ok := a.rec.diff(&b.rec); !ok {
			probs.add("%s: a second run with the same action stream differs at step %d (%s)", where, t, a.rec.describe(&b.rec, t))
		}
	}
}

// A record is what a player saw and did, step by step.
type record struct {
	probs   []agents.Probs
	actions []world.Action
	cells   []int
	// grads holds two fingerprints of each GradLogProb result (plain and
	// weighted sums), when the player computes gradients.
	grads [][2]float64
}

func (r *record) reset() {
	r.probs, r.actions, r.cells, r.grads = r.probs[:0], r.actions[:0], r.cells[:0], r.grads[:0]
}

// diff returns the first step at which r and o differ, and false, or
// (0, true) if they are identical.
func (r *record) diff(o *record) (int, bool) {
	n := max(len(r.actions), len(o.actions))
	for t := range n {
		if t >= len(r.actions) || t >= len(o.actions) ||
			r.actions[t] != o.actions[t] || r.cells[t] != o.cells[t] || !sameProbs(&r.probs[t], &o.probs[t]) {
			return t, false
		}
		if len(r.grads) > t || len(o.grads) > t {
			if t >= len(r.grads) || t >= len(o.grads) || !sameBits(r.grads[t][0], o.grads[t][0]) || !sameBits(r.grads[t][1], o.grads[t][1]) {
				return t, false
			}
		}
	}
	return 0, true
}

func (r *record) describe(o *record, t int) string {
	switch {
	case t >= len(r.actions) || t >= len(o.actions):
		return fmt.Sprintf("episodes of %d and %d steps", len(r.actions), len(o.actions))
	case r.cells[t] != o.cells[t]:
		return fmt.Sprintf("cell %d vs %d", r.cells[t], o.cells[t])
	case !sameProbs(&r.probs[t], &o.probs[t]):
		return fmt.Sprintf("probs %v vs %v", r.probs[t], o.probs[t])
	case r.actions[t] != o.actions[t]:
		return fmt.Sprintf("action %v vs %v", r.actions[t], o.actions[t])
	default:
		return "GradLogProb results differ"
	}
}

func sameBits(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }

func sameProbs(a, b *agents.Probs) bool {
	for i := range a {
		if !sameBits(a[i], b[i]) {
			return false
		}
	}
	return true
}

// A player plays one policy through one episode in two half-steps, observe
// (Probs, then sample) and act (GradLogProb if asked, then Step), so that
// two players can interleave at the finest grain the contract allows.
type player struct {
	p    agents.Policy
	d    agents.Differentiable // non-nil to record gradient fingerprints
	rng  *rand.Rand
	e    world.Episode
	grad []float64
	rec  record
	cur  agents.Probs
	a    world.Action

	// checks, if not nil, receives distribution and episode-modification
	// problems, prefixed by where.
	checks *problems
	where  string
	snap   snapshot
}

func newPlayer(p agents.Policy, d agents.Differentiable, rng *rand.Rand) *player {
	return &player{p: p, d: d, rng: rng}
}

func (pl *player) start(l *world.Level) {
	pl.rec.reset()
	pl.e.Reset(l)
	pl.p.Reset(&pl.e)
}

func (pl *player) done() bool { return pl.e.Done() }

func (pl *player) observe() {
	if pl.checks != nil {
		pl.snap.take(&pl.e)
	}
	pl.p.Probs(&pl.cur, &pl.e)
	if pl.checks != nil {
		t := pl.e.Steps()
		if what := pl.snap.changed(&pl.e); what != "" {
			pl.checks.add("%s step %d: Probs modified the episode (%s)", pl.where, t, what)
		}
		if err := checkDistribution(&pl.cur); err != nil {
			pl.checks.add("%s step %d: %v", pl.where, t, err)
		}
	}
	pl.a = agents.Sample(&pl.cur, pl.rng)
	pl.rec.probs = append(pl.rec.probs, pl.cur)
	pl.rec.actions = append(pl.rec.actions, pl.a)
	pl.rec.cells = append(pl.rec.cells, pl.e.Cell())
}

func (pl *player) act() {
	if pl.d != nil {
		clear(pl.grad)
		pl.d.GradLogProb(pl.grad, pl.a, 1)
		var fp [2]float64
		for i, g := range pl.grad {
			fp[0] += g
			fp[1] += g * float64(i%13+1)
		}
		pl.rec.grads = append(pl.rec.grads, fp)
	}
	pl.e.Step(pl.a)
}

// run plays a whole episode on l.
func (pl *player) run(l *world.Level) {
	pl.start(l)
	for !pl.done() {
		pl.observe()
		pl.act()
	}
}

// checkDistribution reports a Probs that is not a distribution.
func checkDistribution(p *agents.Probs) error {
	sum := 0.0
	for _, q := range p {
		if math.IsNaN(q) || math.IsInf(q, 0) || q < 0 {
			return fmt.Errorf("probabilities %v are not a distribution: entry %v", *p, q)
		}
		sum += q
	}
	if math.Abs(sum-1) > DistributionTolerance {
		return fmt.Errorf("probabilities %v sum to %v, not 1", *p, sum)
	}
	return nil
}

// snapshot is the observable state of an episode.
type snapshot struct {
	pos                 world.Point
	cell, steps, apples int
	eaten               uint64
	done, reached       bool
	ret                 float64
	visits              []int
}

func (s *snapshot) take(e *world.Episode) {
	l := e.Level()
	s.pos, s.cell, s.steps, s.apples = e.Pos(), e.Cell(), e.Steps(), e.ApplesEaten()
	s.eaten, s.done, s.reached, s.ret = e.EatenMask(), e.Done(), e.ReachedExit(), e.Return()
	s.visits = s.visits[:0]
	for i := range l.Width * l.Height {
		s.visits = append(s.visits, e.Visits(i))
	}
}

// changed names what differs between s and e, or returns "".
func (s *snapshot) changed(e *world.Episode) string {
	switch {
	case e.Pos() != s.pos || e.Cell() != s.cell:
		return fmt.Sprintf("position %v, was %v", e.Pos(), s.pos)
	case e.Steps() != s.steps:
		return fmt.Sprintf("steps %d, was %d", e.Steps(), s.steps)
	case e.EatenMask() != s.eaten || e.ApplesEaten() != s.apples:
		return fmt.Sprintf("eaten apples %#x, was %#x", e.EatenMask(), s.eaten)
	case e.Done() != s.done || e.ReachedExit() != s.reached || e.Return() != s.ret:
		return "done, exit or return"
	}
	for i, v := range s.visits {
		if e.Visits(i) != v {
			return fmt.Sprintf("visits of cell %d: %d, was %d", i, e.Visits(i), v)
		}
	}
	return ""
}

// TestFamily checks that fam keeps the agents.Family contract on levels,
// with parameters drawn from streams derived from seed:
//   - Name is not empty, Dim is positive, ParamNames has Dim unique,
//     non-empty names;
//   - Init writes every entry of θ with finite values, and the same stream
//     gives the same θ;
//   - a policy passes TestPolicy (distributions, episode untouched, same
//     stream → same trajectory);
//   - policies never write θ (Policy, Reset, Probs, GradLogProb);
//   - two policies of the family with different θ, interleaved half-step by
//     half-step (A.Probs, B.Probs, A.GradLogProb, B.GradLogProb, steps),
//     behave exactly as each run alone, gradients included: no observation
//     or scratch buffer is shared between policies;
//   - θ aliasing: after the caller overwrites θ and calls Reset, a policy
//     behaves exactly like a fresh fam.Policy of the new θ.
//
// It returns every problem found, joined (at most 20).
func TestFamily(fam agents.Family, levels []*world.Level, seed uint64) error {
	var probs problems
	name := fam.Name()
	if name == "" {
		probs.add("Name is empty")
	}
	dim := fam.Dim()
	if dim <= 0 {
		probs.add("Dim is %d", dim)
		return probs.err()
	}
	names := fam.ParamNames()
	if len(names) != dim {
		probs.add("ParamNames has %d names for %d parameters", len(names), dim)
	}
	seen := make(map[string]int, len(names))
	for i, n := range names {
		if n == "" {
			probs.add("ParamNames[%d] is empty", i)
		} else if j, dup := seen[n]; dup {
			probs.add("ParamNames[%d] = ParamNames[%d] = %q", i, j, n)
		} else {
			seen[n] = i
		}
	}

	thetaA := initTheta(&probs, fam, seed, 1, 0)
	thetaB := initTheta(&probs, fam, seed, 2, 0.5)
	if again := initTheta(nil, fam, seed, 1, 0); !slices.Equal(thetaA, again) {
		probs.add("Init with the same stream gave a different θ")
	}
	keptA, keptB := slices.Clone(thetaA), slices.Clone(thetaB)

	pa := fam.Policy(thetaA)
	testPolicy(&probs, name+": ", pa, levels, seed)

	// Interleaving: alone, then two fresh policies interleaved.
	for k, l := range levels {
		rngA := func() *rand.Rand { return seeds.New(seed, "agentstest/interleave", uint64(k), 0) }
		rngB := func() *rand.Rand { return seeds.New(seed, "agentstest/interleave", uint64(k), 1) }
		aloneA := newDiffPlayer(fam.Policy(thetaA), dim, rngA())
		aloneA.run(l)
		aloneB := newDiffPlayer(fam.Policy(thetaB), dim, rngB())
		aloneB.run(l)
		a := newDiffPlayer(fam.Policy(thetaA), dim, rngA())
		b := newDiffPlayer(fam.Policy(thetaB), dim, rngB())
		a.start(l)
		b.start(l)
		for !a.done() || !b.done() {
			if !a.done() {
				a.observe()
			}
			if !b.done() {
				b.observe()
			}
			if !a.done() {
				a.act()
			}
			if !b.done() {
				b.act()
			}
		}
		for _, c := range []struct {
			who          string
			alone, inter *record
		}{{"A", &aloneA.rec, &a.rec}, {"B", &aloneB.rec, &b.rec}} {
			if t, ok := c.alone.diff(c.inter); !ok {
				probs.add("%s: level %d: policy %s interleaved with another policy of the family differs from it run alone at step %d (%s): policies share state",
					name, k, c.who, t, c.alone.describe(c.inter, t))
			}
		}
	}

	// Aliasing: one policy over a buffer the caller rewrites between
	// episodes, against fresh policies.
	buf := slices.Clone(thetaA)
	shared := newDiffPlayer(fam.Policy(buf), dim, nil)
	for k, l := range levels {
		copy(buf, thetaA)
		if k%2 == 1 {
			copy(buf, thetaB)
		}
		want := slices.Clone(buf)
		shared.rng = seeds.New(seed, "agentstest/alias", uint64(k))
		shared.run(l)
		fresh := newDiffPlayer(fam.Policy(want), dim, seeds.New(seed, "agentstest/alias", uint64(k)))
		fresh.run(l)
		if t, ok := fresh.rec.diff(&shared.rec); !ok {
			probs.add("%s: level %d: after θ was overwritten and Reset called, the policy differs from a fresh Family.Policy(θ) at step %d (%s): it does not read θ through its alias",
				name, k, t, fresh.rec.describe(&shared.rec, t))
		}
		if !slices.Equal(buf, want) {
			probs.add("%s: level %d: the policy wrote θ", name, k)
		}
	}
	if !slices.Equal(thetaA, keptA) || !slices.Equal(thetaB, keptB) {
		probs.add("%s: policies wrote θ (Policy, Reset, Probs or GradLogProb)", name)
	}
	return probs.err()
}

func newDiffPlayer(d agents.Differentiable, dim int, rng *rand.Rand) *player {
	pl := newPlayer(d, d, rng)
	pl.grad = make([]float64, dim)
	return pl
}

// initTheta draws θ with fam.Init from stream i of seed and adds Gaussian
// noise of standard deviation jitter, so that tests do not sit on a special
// point (all-zero biases, exact ties). It reports through probs (if not nil)
// entries that Init left unwritten or made non-finite.
func initTheta(probs *problems, fam agents.Family, seed uint64, i uint64, jitter float64) []float64 {
	theta := make([]float64, fam.Dim())
	for j := range theta {
		theta[j] = math.NaN()
	}
	rng := seeds.New(seed, "agentstest/theta", i)
	fam.Init(theta, rng)
	for j, v := range theta {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			if probs != nil {
				probs.add("%s: Init left θ[%d] = %v", fam.Name(), j, v)
			}
			theta[j] = 0
		}
	}
	if jitter > 0 {
		for j := range theta {
			theta[j] += jitter * rng.NormFloat64()
		}
	}
	return theta
}

// GradientPrefix bounds the step at which CheckGradients examines a
// trajectory: each finite-difference evaluation replays the actions up to it.
const GradientPrefix = 16

// CheckGradients compares fam's analytic GradLogProb with central finite
// differences (gonum.org/v1/gonum/diff/fd) of log π(a|s) in every
// coordinate of θ, for every action a, at one random state of a sampled
// trajectory on each level, for two random θ (Init, and Init plus N(0, 0.5²)
// noise) derived from seed.
//
// The error of coordinate i is |g_i − fd_i| / max(1, |fd_i|): relative for
// large derivatives, absolute for small ones. Each finite-difference
// evaluation builds a fresh policy over the perturbed θ and replays the
// trajectory's actions up to the state, so families with memory are checked
// correctly. Actions whose probability is below 1e-12 are skipped (their
// log-probability is too steep for finite differences).
//
// It also checks that GradLogProb adds scale·∇ to grad rather than
// overwriting it. It returns every problem found (at most 20), naming the
// parameter.
func CheckGradients(fam agents.Family, levels []*world.Level, seed uint64, tol float64) error {
	var probs problems
	dim := fam.Dim()
	if dim <= 0 {
		return fmt.Errorf("%s: Dim is %d", fam.Name(), dim)
	}
	names := fam.ParamNames()
	name := func(i int) string {
		if i < len(names) {
			return names[i]
		}
		return fmt.Sprintf("θ[%d]", i)
	}
	jac := mat.NewDense(world.NumActions, dim, nil)
	grad := make([]float64, dim)
	analytic := make([]float64, world.NumActions*dim)
	offset := make([]float64, dim)
	for i := range offset {
		offset[i] = float64(i%7) - 3
	}
	var e world.Episode
	var p agents.Probs
	// replay brings a fresh policy over theta to step t of the recorded
	// actions, leaving its Probs at that state in p.
	replay := func(theta []float64, l *world.Level, actions []world.Action, t int) agents.Differentiable {
		d := fam.Policy(theta)
		e.Reset(l)
		d.Reset(&e)
		for _, a := range actions[:t] {
			d.Probs(&p, &e)
			e.Step(a)
		}
		d.Probs(&p, &e)
		return d
	}
	for trial := range 2 {
		theta := initTheta(&probs, fam, seed, uint64(10+trial), 0.5*float64(trial))
		for k, l := range levels {
			rng := seeds.New(seed, "agentstest/gradients", uint64(trial), uint64(k))
			pl := newPlayer(fam.Policy(theta), nil, rng)
			pl.run(l)
			actions := pl.rec.actions
			t := rng.IntN(min(len(actions), GradientPrefix))
			where := fmt.Sprintf("%s: θ %d, level %d, step %d", fam.Name(), trial, k, t)

			d := replay(theta, l, actions, t)
			at := p
			for a := range world.NumActions {
				g := analytic[a*dim : (a+1)*dim]
				clear(g)
				d.GradLogProb(g, world.Action(a), 1)
				// GradLogProb adds scale·∇: check from an offset, with
				// scale 2.5.
				copy(grad, offset)
				d.GradLogProb(grad, world.Action(a), 2.5)
				for i := range grad {
					want := offset[i] + 2.5*g[i]
					if math.Abs(grad[i]-want) > 1e-9*max(1, math.Abs(want)) {
						probs.add("%s, action %v: GradLogProb(grad, a, 2.5) on a non-zero grad gave %v at %s, want grad + 2.5·∇ = %v",
							where, world.Action(a), grad[i], name(i), want)
						break
					}
				}
			}

			fd.Jacobian(jac, func(y, x []float64) {
				replay(x, l, actions, t)
				for a := range y {
					y[a] = math.Log(p[a])
				}
			}, theta, &fd.JacobianSettings{Formula: fd.Central})

			for a := range world.NumActions {
				if at[a] < 1e-12 {
					continue
				}
				worst, wi := 0.0, -1
				for i, g := range analytic[a*dim : (a+1)*dim] {
					f := jac.At(a, i)
					r := math.Abs(g-f) / max(1, math.Abs(f))
					if math.IsNaN(r) {
						worst, wi = math.Inf(1), i
						break
					}
					if r > worst {
						worst, wi = r, i
					}
				}
				if !(worst < tol) {
					probs.add("%s, action %v: gradient error %.3g > %.3g at %s: analytic %.10g, finite difference %.10g",
						where, world.Action(a), worst, tol, name(wi), analytic[a*dim+wi], jac.At(a, wi))
				}
			}
		}
	}
	return probs.err()
}
