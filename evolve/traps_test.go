package evolve

// Each eaopt v0.4.2 trap has two tests: TestNaive* uses eaopt directly and
// asserts that the bad behaviour is observable (so the trap is real, and the
// test would notice if eaopt fixed it), and the matching wrapper test
// asserts that GA or ES does not show it.

import (
	"math"
	"math/rand"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/MaxHalford/eaopt"

	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// naiveGenome is how eaopt's documentation writes a real-valued genome:
// eaopt's own operators, which rewrite both parents, and a fitness function
// of x (and, for the fresh-levels trap, of the current generation).
type naiveGenome struct {
	x []float64
	// gen, if not nil, is the current generation: the fitness adds a
	// noise term that changes every generation, as fresh levels do.
	gen *int
	// inApply, if not nil, tells whether a model is applying; Evaluate
	// counts its calls in evals[inApply]. Atomic: with ParallelEval,
	// eaopt evaluates on goroutines of its own.
	inApply *atomic.Bool
	evals   *[2]atomic.Int64
}

func (g *naiveGenome) Evaluate() (float64, error) {
	if g.evals != nil {
		if g.inApply.Load() {
			g.evals[1].Add(1)
		} else {
			g.evals[0].Add(1)
		}
	}
	return naiveFitness(g.x, g.gen), nil
}

func naiveFitness(x []float64, gen *int) float64 {
	f := 0.0
	for _, v := range x {
		f += v * v
	}
	if gen != nil {
		f += math.Sin(float64(*gen)) // the generation's "levels"
	}
	return f
}

func (g *naiveGenome) Mutate(rng *rand.Rand) { eaopt.MutNormalFloat64(g.x, 0.5, rng) }
func (g *naiveGenome) Crossover(mate eaopt.Genome, rng *rand.Rand) {
	eaopt.CrossUniformFloat64(g.x, mate.(*naiveGenome).x, rng)
}
func (g *naiveGenome) Clone() eaopt.Genome { c := *g; c.x = slices.Clone(g.x); return &c }

func newNaive(proto naiveGenome) func(rng *rand.Rand) eaopt.Genome {
	return func(rng *rand.Rand) eaopt.Genome {
		g := proto
		g.x = []float64{rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()}
		return &g
	}
}

// Trap: GAConfig.NewGA (ga_config.go:34-36) and NewOES (oes.go:72-74,
// util_random.go:10-11) seed a missing random source from the clock.
func TestNaiveClockSeededRNG(t *testing.T) {
	run := func() float64 {
		cfg := eaopt.NewDefaultGAConfig()
		cfg.NGenerations, cfg.PopSize = 1, 4
		ga, err := cfg.NewGA()
		if err != nil {
			t.Fatal(err)
		}
		if err := ga.Minimize(newNaive(naiveGenome{})); err != nil {
			t.Fatal(err)
		}
		return ga.HallOfFame[0].Fitness
	}
	if a, b := run(), run(); a == b {
		t.Errorf("two clock-seeded GAs agree (%v): eaopt no longer seeds from the clock?", a)
	}
	oes := func() []float64 {
		o, err := eaopt.NewOES(4, 2, 1, 0.1, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		x, _, err := o.Minimize(func(x []float64) float64 { return x[0] * x[0] }, []float64{1})
		if err != nil {
			t.Fatal(err)
		}
		return x
	}
	if a, b := oes(), oes(); slices.Equal(a, b) {
		t.Errorf("two clock-seeded OES agree (%v)", a)
	}
}

func TestNeverClockSeeded(t *testing.T) {
	p := &train.Problem{Family: thresholdFamily{W: []float64{1, 1}}, Train: trainPreset(t), Seed: 3}
	for _, m := range []train.Method{&GA{PopulationSize: 8, Levels: 4, Populations: 2, MigrationInterval: 1}, &ES{Population: 8, Levels: 4}} {
		var runs [2][]train.Agent
		for i := range runs {
			res, err := m.Train(t.Context(), p, &train.Settings{Iterations: 4})
			if err != nil {
				t.Fatal(err)
			}
			runs[i] = res.Agents
		}
		if !slices.EqualFunc(runs[0], runs[1], func(a, b train.Agent) bool {
			return slices.Equal(a.Params, b.Params) && a.Fitness == b.Fitness
		}) {
			t.Errorf("%s: two runs with the same seed differ", m.Name())
		}
	}
}

// Trap: eaopt caches fitness in Individual.Evaluated (individual.go:54-64),
// so with fresh levels every generation a survivor keeps the fitness it had
// on old levels: ModDownToSize keeps parents (models.go:206-210) and the
// driver only evaluates what is not yet evaluated (ga.go:108).
func TestNaiveStaleSurvivorFitness(t *testing.T) {
	gen := 0
	ga, err := eaopt.GAConfig{
		NPops: 1, PopSize: 8, NGenerations: 6, HofSize: 1,
		Model: eaopt.ModDownToSize{NOffsprings: 8, SelectorA: eaopt.SelTournament{NContestants: 2},
			SelectorB: eaopt.SelElitism{}, MutRate: 0.5, CrossRate: 0.5},
		Callback: func(*eaopt.GA) { gen++ }, // the next generation has new levels
		RNG:      rand.New(rand.NewSource(1)),
	}.NewGA()
	if err != nil {
		t.Fatal(err)
	}
	if err := ga.Minimize(newNaive(naiveGenome{gen: &gen})); err != nil {
		t.Fatal(err)
	}
	gen-- // the callback advanced it past the last evaluated generation
	stale := 0
	for _, ind := range ga.Populations[0].Individuals {
		if ind.Fitness != naiveFitness(ind.Genome.(*naiveGenome).x, &gen) {
			stale++
		}
	}
	if stale == 0 {
		t.Errorf("no survivor has a stale fitness: eaopt re-evaluates survivors now?")
	}
}

func TestNoStaleSurvivorFitness(t *testing.T) {
	fam := thresholdFamily{W: []float64{1, 0.5}}
	p := &train.Problem{Family: fam, Train: trainPreset(t), Seed: 5}
	g, err := world.NewGenerator(p.Train)
	if err != nil {
		t.Fatal(err)
	}
	for _, model := range Models {
		ga := &GA{Model: model, PopulationSize: 8, Levels: 4, Populations: 2}
		rec := &recorder{}
		res, err := ga.Train(t.Context(), p, &train.Settings{Iterations: 6, Recorder: rec})
		if err != nil {
			t.Fatal(err)
		}
		levels := train.Levels(g, p.Seed, "ga/levels", res.Last.Iteration, 4)
		n := 0
		for _, a := range res.Agents {
			if a.Role != "population" {
				continue
			}
			n++
			if want := fam.fitness(a.Params, levels); a.Fitness != want {
				t.Errorf("%s: %s #%d has fitness %v, %v on the last generation's levels", model, a.Role, a.Index, a.Fitness, want)
			}
		}
		if n != 16 {
			t.Errorf("%s: %d population agents, want 16", model, n)
		}
		// Every generation charges at least the re-evaluation of every
		// member of both populations.
		prev := 0
		for _, s := range rec.stats {
			if s.Population != 1 {
				continue
			}
			if s.Episodes-prev < 16*4 {
				t.Errorf("%s: generation %d charged %d episodes, fewer than the %d of re-evaluating everyone", model, s.Iteration, s.Episodes-prev, 16*4)
			}
			prev = s.Episodes
		}
	}
}

// staleMembers counts the members of pop whose eaopt fitness is not the
// fitness of their θ: the invariant the driver relies on after Model.Apply
// for every model but the generational one (whose offspring wait for the
// next evaluation).
func staleMembers(pop *eaopt.Population, fitness func(x []float64) float64, x func(eaopt.Genome) []float64) int {
	n := 0
	for _, ind := range pop.Individuals {
		if ind.Fitness != fitness(x(ind.Genome)) {
			n++
		}
	}
	return n
}

// Trap: Individual.Crossover (individual.go:81-84) receives the mate by
// value, so `mate.Evaluated = false` marks a copy; the mate's genome, which
// the crossover rewrote, keeps its parent's fitness unless mutated. The
// generational driver then skips it (ga.go:108, individual.go:55-57), and
// the steady-state model keeps or drops it on that stale fitness
// (models.go:121, 138, 142-145).
func TestNaiveCrossoverChildKeepsParentFitness(t *testing.T) {
	fitness := func(x []float64) float64 { return naiveFitness(x, nil) }
	x := func(g eaopt.Genome) []float64 { return g.(*naiveGenome).x }
	models := map[string]eaopt.Model{
		"generational": eaopt.ModGenerational{Selector: eaopt.SelTournament{NContestants: 2}, CrossRate: 1},
		"steady-state": eaopt.ModSteadyState{Selector: eaopt.SelTournament{NContestants: 2}, KeepBest: true, CrossRate: 1},
	}
	for name, model := range models {
		ga, err := eaopt.GAConfig{NPops: 1, PopSize: 16, NGenerations: 20, HofSize: 1, Model: model,
			RNG: rand.New(rand.NewSource(2))}.NewGA()
		if err != nil {
			t.Fatal(err)
		}
		if err := ga.Minimize(newNaive(naiveGenome{})); err != nil {
			t.Fatal(err)
		}
		if n := staleMembers(&ga.Populations[0], fitness, x); n == 0 {
			t.Errorf("%s: no member has a stale fitness: eaopt fixed Individual.Crossover?", name)
		}
	}
}

func TestCrossoverChildFitnessIsMeasured(t *testing.T) {
	fam := thresholdFamily{W: []float64{1, -1, 0.5}}
	p := &train.Problem{Family: fam, Train: trainPreset(t), Seed: 7}
	checks, stale := 0, 0
	testHookAfterApply = func(run *gaRun, pop *eaopt.Population) {
		if run.cfg.model == Generational {
			return
		}
		checks++
		stale += staleMembers(pop, func(x []float64) float64 { return -fam.fitness(x, run.levels) },
			func(g eaopt.Genome) []float64 { return g.(*genome).x })
	}
	defer func() { testHookAfterApply = nil }()
	for _, model := range []Model{SteadyState, DownToSize} {
		for _, cross := range []Crossover{Uniform, Arithmetic} {
			// Children are crossed and (practically) never mutated: the
			// case eaopt gets wrong.
			ga := &GA{Model: model, Crossover: cross, CrossoverRate: 1, MutationRate: 1e-12, PopulationSize: 8, Levels: 4}
			if _, err := ga.Train(t.Context(), p, &train.Settings{Iterations: 8, Workers: 2}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if checks == 0 {
		t.Fatal("the hook never ran")
	}
	if stale > 0 {
		t.Errorf("%d stale fitnesses after %d applications", stale, checks)
	}
}

// Trap: GAConfig.ParallelEval only reaches the driver's evaluations
// (ga.go:52, 108); the steady-state (KeepBest), down-to-size and
// mutation-only models evaluate offspring inside Model.Apply, one at a time
// (models.go:134-141, 201, 318).
func TestNaiveParallelEvalIgnored(t *testing.T) {
	models := map[string]eaopt.Model{
		"steady-state":  eaopt.ModSteadyState{Selector: eaopt.SelTournament{NContestants: 2}, KeepBest: true, MutRate: 0.5, CrossRate: 0.5},
		"down-to-size":  eaopt.ModDownToSize{NOffsprings: 8, SelectorA: eaopt.SelTournament{NContestants: 2}, SelectorB: eaopt.SelElitism{}, MutRate: 0.5, CrossRate: 0.5},
		"mutation-only": eaopt.ModMutationOnly{Strict: true},
	}
	for name, model := range models {
		var inApply atomic.Bool
		var evals [2]atomic.Int64
		ga, err := eaopt.GAConfig{NPops: 1, PopSize: 8, NGenerations: 3, HofSize: 1, ParallelEval: true,
			Model: flagModel{model, &inApply}, RNG: rand.New(rand.NewSource(3))}.NewGA()
		if err != nil {
			t.Fatal(err)
		}
		if err := ga.Minimize(newNaive(naiveGenome{inApply: &inApply, evals: &evals})); err != nil {
			t.Fatal(err)
		}
		if evals[1].Load() == 0 {
			t.Errorf("%s: no evaluation inside Model.Apply: eaopt evaluates offspring in parallel now?", name)
		}
	}
}

// flagModel sets *in while the model applies.
type flagModel struct {
	eaopt.Model
	in *atomic.Bool
}

func (m flagModel) Apply(pop *eaopt.Population) error {
	m.in.Store(true)
	defer m.in.Store(false)
	return m.Model.Apply(pop)
}

// TestEvaluationIsParallel makes every rollout wait for a partner: with 2
// workers a run completes without anyone left alone only if rollouts run two
// at a time, including the evaluations eaopt makes inside Model.Apply.
func TestEvaluationIsParallel(t *testing.T) {
	pr := &pairer{}
	fam := thresholdFamily{W: []float64{1, 1}, Meet: pr.Meet}
	p := &train.Problem{Family: fam, Train: trainPreset(t), Seed: 11}
	methods := []train.Method{&ES{Population: 4, Levels: 4}}
	for _, m := range Models {
		methods = append(methods, &GA{Model: m, PopulationSize: 8, Levels: 4})
	}
	for _, m := range methods {
		before := pr.meetings.Load()
		if _, err := m.Train(t.Context(), p, &train.Settings{Iterations: 3, Workers: 2}); err != nil {
			t.Fatal(err)
		}
		if pr.meetings.Load() == before {
			t.Errorf("%v: no rollouts met", m)
		}
	}
	if n := pr.alone.Load(); n > 0 {
		t.Errorf("%d rollouts ran alone", n)
	}
}

// Trap: SelTournament.Apply (selection.go:59-69) never writes the index of
// a winner that was the first contestant drawn, so it reports 0, and
// ModSteadyState overwrites the individual at index 0, the best of the
// sorted population (models.go:144-149).
func TestNaiveTournamentIndexes(t *testing.T) {
	indis := make(eaopt.Individuals, 8)
	for i := range indis {
		indis[i] = eaopt.Individual{Genome: &naiveGenome{x: []float64{float64(i)}}, Fitness: float64(i), Evaluated: true}
	}
	rng := rand.New(rand.NewSource(4))
	wrong := 0
	for range 100 {
		sel, idx, err := eaopt.SelTournament{NContestants: 3}.Apply(2, indis, rng)
		if err != nil {
			t.Fatal(err)
		}
		for i := range sel {
			if indis[idx[i]].Fitness != sel[i].Fitness {
				wrong++
			}
		}
	}
	if wrong == 0 {
		t.Errorf("SelTournament's indexes are right now")
	}
	for range 100 {
		sel, idx, err := tournament{3}.Apply(2, indis, rng)
		if err != nil {
			t.Fatal(err)
		}
		if idx[0] == idx[1] {
			t.Errorf("tournament selected %d twice", idx[0])
		}
		for i := range sel {
			if indis[idx[i]].Fitness != sel[i].Fitness {
				t.Errorf("tournament: index %d has fitness %v, selected %v", idx[i], indis[idx[i]].Fitness, sel[i].Fitness)
			}
		}
	}
}

// Trap (why GA has no ring model): ModRing mutates `neighbour`, a copy of
// an Individual that shares its genome with the population member
// (models.go:256, 265), and may store it in another slot (models.go:283).
func TestNaiveRingModelSharesGenomes(t *testing.T) {
	ga, err := eaopt.GAConfig{NPops: 1, PopSize: 8, NGenerations: 3, HofSize: 1,
		Model: eaopt.ModRing{Selector: eaopt.SelTournament{NContestants: 1}, MutRate: 1},
		RNG:   rand.New(rand.NewSource(5))}.NewGA()
	if err != nil {
		t.Fatal(err)
	}
	if err := ga.Minimize(newNaive(naiveGenome{})); err != nil {
		t.Fatal(err)
	}
	indis := ga.Populations[0].Individuals
	shared := 0
	for i := range indis {
		for j := range i {
			if indis[i].Genome == indis[j].Genome {
				shared++
			}
		}
	}
	if stale := staleMembers(&ga.Populations[0], func(x []float64) float64 { return naiveFitness(x, nil) },
		func(g eaopt.Genome) []float64 { return g.(*naiveGenome).x }); shared == 0 && stale == 0 {
		t.Errorf("ModRing neither shares genomes nor leaves stale fitness")
	}
	if err := (&GA{Model: "ring"}).Validate(); err == nil {
		t.Errorf("GA accepts the ring model")
	}
}

// Traps of OES: its update is one scalar for all coordinates (oes.go:105-114),
// so the centre moves only along (1, …, 1); Minimize aliases its argument
// (oes.go:128); standardising equal fitnesses divides by 0 (oes.go:100-103);
// and when no point has a fitness below +Inf, Minimize panics reading the
// empty hall of fame (oes.go:132-133).
func TestNaiveOES(t *testing.T) {
	newOES := func() *eaopt.OES {
		o, err := eaopt.NewOES(16, 30, 0.5, 0.1, false, rand.New(rand.NewSource(6)))
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	x := []float64{0, 0}
	o := newOES()
	if _, _, err := o.Minimize(func(x []float64) float64 { return (x[0]-2)*(x[0]-2) + (x[1]+2)*(x[1]+2) }, x); err != nil {
		t.Fatal(err)
	}
	if o.Mu[0] != o.Mu[1] {
		t.Errorf("the centre %v left the diagonal: OES's update is per coordinate now?", o.Mu)
	}
	if x[0] == 0 {
		t.Errorf("Minimize no longer moves its argument")
	}
	o = newOES()
	if _, _, err := o.Minimize(func([]float64) float64 { return 1 }, []float64{0, 0}); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(o.Mu[0]) {
		t.Errorf("a constant fitness leaves the centre at %v, not NaN", o.Mu)
	}
	panicked := func() (p bool) {
		defer func() { p = recover() != nil }()
		newOES().Minimize(func([]float64) float64 { return math.NaN() }, []float64{0, 0})
		return false
	}()
	if !panicked {
		t.Errorf("an all-NaN fitness no longer panics")
	}
}

func TestESAvoidsOESTraps(t *testing.T) {
	d := trainPreset(t)
	// The optimum θ₀ − θ₁ > 1 lies off the diagonal. Under the binary
	// return the fitness is the rate of passing.
	fam := thresholdFamily{W: []float64{1, -1}}
	init := []float64{0.1, 0.1}
	p := &train.Problem{Family: fam, Train: d, BaseReturn: world.Binary, Seed: 8, Init: init}
	res, err := (&ES{Population: 16, Levels: 8}).Train(t.Context(), p, &train.Settings{Iterations: 40})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Agents[0].Params
	if !(c[0]-c[1] > 1) || res.Agents[0].Fitness < 0.9 {
		t.Errorf("centre %v (fitness %v): the ES did not leave the diagonal", c, res.Agents[0].Fitness)
	}
	if init[0] != 0.1 || init[1] != 0.1 {
		t.Errorf("Problem.Init changed to %v", init)
	}

	// Every point scores 0: no update, no NaN.
	p = &train.Problem{Family: thresholdFamily{W: []float64{0, 0}}, Train: d, Seed: 8, Init: init}
	res, err = (&ES{Population: 4, Levels: 2}).Train(t.Context(), p, &train.Settings{Iterations: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != train.IterationLimit || !slices.Equal(res.Agents[0].Params, init) {
		t.Errorf("constant fitness: status %v, centre %v, want %v, %v", res.Status, res.Agents[0].Params, train.IterationLimit, init)
	}

	// All-NaN fitness: diverged, no panic.
	p = &train.Problem{Family: fam, Train: d, Seed: 8, Init: []float64{math.NaN(), 0}}
	res, err = (&ES{Population: 4, Levels: 2}).Train(t.Context(), p, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != train.Diverged {
		t.Errorf("NaN θ: status %v", res.Status)
	}
}
