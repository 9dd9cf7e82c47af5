package evolve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	randv2 "math/rand/v2"
	"slices"

	"github.com/MaxHalford/eaopt"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// genome is the eaopt.Genome of the GA: a flat parameter vector θ with its
// own record of where its fitness comes from.
//
// eaopt caches fitness in Individual.Evaluated, which is wrong for us in two
// ways: levels change every generation, so a survivor's cached fitness is
// stale; and in v0.4.2 a crossover child can keep its parent's fitness (see
// Crossover). So the genome keeps the generation whose levels its fitness was
// measured on, forgets it whenever θ changes, and the driver clears
// Individual.Evaluated before every Model.Apply: every fitness eaopt asks for
// then comes through Evaluate, which answers from this record or measures.
type genome struct {
	x   []float64
	fit float64 // eaopt fitness (the negated mean return) on the levels of generation gen
	gen int     // 0 when θ changed since it was last measured
	run *gaRun
}

var _ eaopt.Genome = (*genome)(nil)

// Evaluate returns the fitness of θ on the current generation's levels,
// measuring it (and charging the budget) unless θ was already measured
// there.
func (g *genome) Evaluate() (float64, error) {
	if g.gen != 0 && g.gen == g.run.gen {
		return g.fit, nil
	}
	f, err := g.run.evaluateOne(g.x)
	if err != nil {
		return math.NaN(), err
	}
	g.fit, g.gen = f, g.run.gen
	return f, nil
}

// Mutate applies GaussianMutation.
func (g *genome) Mutate(rng *rand.Rand) {
	c := &g.run.cfg
	GaussianMutation(g.x, c.geneRate, c.geneSigma, rng)
	g.gen = 0
}

// Crossover replaces g and mate by two children of theirs, drawn
// independently with the configured operator.
//
// eaopt v0.4.2's Individual.Crossover (individual.go:81-84) receives the
// mate by value, so `mate.Evaluated = false` (individual.go:84) marks only
// its copy: a mate whose genome a crossover rewrites, and that is then not
// mutated, keeps its parent's fitness (models.go:32 in the generational and
// down-to-size models, models.go:121 in the steady-state model, whose
// models.go:138 then skips evaluating it). Resetting gen here, on the
// genome itself, makes that harmless, given that eaopt asks the genome: the
// driver clears Individual.Evaluated before every Model.Apply, so clones of
// members start unevaluated, and the tournament never sets it.
func (g *genome) Crossover(mate eaopt.Genome, rng *rand.Rand) {
	m, ok := mate.(*genome)
	if !ok {
		// Only this package makes the genomes of a population.
		panic(fmt.Sprintf("evolve: crossover with a %T", mate))
	}
	cross := g.run.cfg.cross
	if cross == nil {
		return
	}
	a := append(g.run.scratch[:0], g.x...)
	cross(g.x, a, m.x, rng)
	cross(m.x, m.x, a, rng)
	g.run.scratch = a
	g.gen, m.gen = 0, 0
}

// Clone returns a deep copy, fitness record included.
func (g *genome) Clone() eaopt.Genome {
	c := *g
	c.x = slices.Clone(g.x)
	return &c
}

// gaRun is the state of one GA.Train call that genomes share. It is used by
// the driver goroutine only: eaopt's models run there, one population at a
// time.
type gaRun struct {
	ctx     context.Context
	cfg     gaConfig
	fam     agents.Family
	root    uint64
	workers int
	meter   *train.Meter

	// gen is the generation whose levels are current; pop and offspring
	// name the population being evolved and the evaluations made so far
	// while evolving it, for deriving rollout seeds.
	gen       int
	levels    []*world.Level
	pop       int
	offspring int

	scratch  []float64
	runners  []paddedRunner
	thetas   [][]float64 // per worker: the θ its policy aliases
	policies []agents.Policy
	returns  []float64
	steps    []int
	// offspringStreams is seeds.Of(root, "ga/offspring").
	offspringStreams seeds.Streams
}

// evaluateOne measures θ on the current levels: the evaluations eaopt's
// models make inside Model.Apply (steady-state, down-to-size,
// mutation-only), one individual at a time. eaopt runs those sequentially
// whatever GAConfig.ParallelEval says (models.go:134-141, 201, 318), so the
// levels of the one individual are spread over the workers instead. The
// rollout on level k of the n-th such evaluation in population p draws its
// actions from seeds.New(root, "ga/offspring", gen, p, n, k). The episodes
// are charged in level order; when the budget is spent before the last,
// evaluateOne returns errBudget, which stops the model and the generation.
func (r *gaRun) evaluateOne(x []float64) (float64, error) {
	if !train.Finite(x) {
		return math.NaN(), nil
	}
	n := r.offspring
	r.offspring++
	k := len(r.levels)
	r.returns = slices.Grow(r.returns[:0], k)[:k]
	r.steps = slices.Grow(r.steps[:0], k)[:k]
	err := train.Parallel(r.ctx, r.workers, k, func(w, i int) error {
		if r.policies[w] == nil {
			r.thetas[w] = make([]float64, len(x))
			r.policies[w] = r.fam.Policy(r.thetas[w])
		}
		copy(r.thetas[w], x) // Run resets the policy, which rereads θ
		rn := &r.runners[w]
		if rn.rng == nil {
			rn.rng = randv2.New(&rn.pcg)
		}
		rn.pcg = r.offspringStreams.PCG(uint64(r.gen), uint64(r.pop), uint64(n), uint64(i))
		s := rn.Run(r.policies[w], r.levels[i], rn.rng)
		r.returns[i], r.steps[i] = s.Return, s.Steps
		return nil
	})
	if err != nil {
		return math.NaN(), err
	}
	sum := 0.0
	for i := range k {
		if !r.meter.Charge(r.steps[i]) {
			return math.NaN(), errBudget
		}
		sum += r.returns[i]
	}
	return -sum / float64(k), nil
}

// paddedRunner keeps each worker's Runner on cache lines of its own: a
// Runner is written on every step, and two of them sharing a line (false
// sharing) halve the speed-up of two workers.
type paddedRunner struct {
	agents.Runner
	pcg randv2.PCG
	rng *randv2.Rand // draws from pcg
	_   [128]byte
}

// tournament is tournament selection as an eaopt.Selector. eaopt's own
// SelTournament returns wrong indexes (selection.go:59-69: when the first
// contestant wins, its index is never written and stays 0), and
// ModSteadyState replaces the parents at those indexes (models.go:288-289),
// so it would overwrite the best individual of the sorted population. This
// one keeps eaopt's semantics otherwise: each winner is the fittest of size
// contestants drawn without replacement among the individuals not selected
// yet (fewer if fewer remain), the first drawn on ties, and the selected
// individuals are clones. It asks genomes for their fitness directly and
// leaves Individual.Evaluated as it is.
type tournament struct{ size int }

func (t tournament) Apply(n uint, indis eaopt.Individuals, rng *rand.Rand) (eaopt.Individuals, []int, error) {
	if int(n) > len(indis) {
		return nil, nil, fmt.Errorf("tournament: cannot select %d of %d individuals", n, len(indis))
	}
	remaining := make([]int, len(indis))
	for i := range remaining {
		remaining[i] = i
	}
	selected := make(eaopt.Individuals, n)
	indexes := make([]int, n)
	for s := range selected {
		k := min(t.size, len(remaining))
		// Partial Fisher-Yates: the contestants end up in remaining[:k].
		for j := range k {
			o := j + rng.Intn(len(remaining)-j)
			remaining[j], remaining[o] = remaining[o], remaining[j]
		}
		best := 0
		for j := range k {
			// Through the genome, not Individual.Evaluate, which would mark
			// the member evaluated (see evolvePopulation).
			ind := &indis[remaining[j]]
			f, err := ind.Genome.Evaluate()
			if err != nil {
				return nil, nil, err
			}
			ind.Fitness = f
			if f < indis[remaining[best]].Fitness {
				best = j
			}
		}
		w := remaining[best]
		indexes[s] = w
		selected[s] = indis[w].Clone(rng)
		remaining = slices.Delete(remaining, best, best+1)
	}
	return selected, indexes, nil
}

func (t tournament) Validate() error {
	if t.size < 1 {
		return errors.New("tournament: size must be at least 1")
	}
	return nil
}
