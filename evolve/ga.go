package evolve

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand"
	"slices"

	"github.com/MaxHalford/eaopt"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// A Model names an eaopt evolution model.
type Model string

// The models a GA can run. eaopt's ModRing is left out: it mutates its
// neighbour through a copy of the Individual that shares the genome
// (models.go:256 and 265), rewriting a population member in place while its
// cached fitness stays, and can leave two members sharing one genome
// (models.go:283).
const (
	// Generational is eaopt.ModGenerational: every generation, selection,
	// crossover and mutation make PopulationSize offspring that replace the
	// population; the GA's Elites best individuals are carried over
	// unchanged.
	Generational Model = "generational"
	// SteadyState is eaopt.ModSteadyState with KeepBest, applied
	// PopulationSize/2 times per generation: each application selects two
	// parents, makes two children, evaluates them, and puts the best two of
	// parents and children in the parents' places.
	SteadyState Model = "steady-state"
	// DownToSize is eaopt.ModDownToSize, a (μ+λ) model: PopulationSize
	// offspring are made and evaluated, and the PopulationSize best of
	// parents and offspring survive (eaopt.SelElitism).
	DownToSize Model = "down-to-size"
	// MutationOnly is eaopt.ModMutationOnly{Strict: true}: each individual
	// is replaced by a mutant of itself if the mutant does better on the
	// same levels. It uses neither selection nor crossover.
	MutationOnly Model = "mutation-only"
)

// Models lists the models a GA accepts.
var Models = []Model{Generational, SteadyState, DownToSize, MutationOnly}

// A Selection names how parents are selected.
type Selection string

const (
	// Tournament selects each parent as the fittest of TournamentSize
	// contestants drawn without replacement.
	Tournament Selection = "tournament"
	// Elitism (eaopt.SelElitism) selects the fittest individuals.
	Elitism Selection = "elitism"
)

// A Crossover names a crossover operator.
type Crossover string

const (
	// Uniform is UniformCrossover.
	Uniform Crossover = "uniform"
	// Arithmetic is ArithmeticCrossover.
	Arithmetic Crossover = "arithmetic"
	// NoCrossover disables crossover.
	NoCrossover Crossover = "none"
)

// Defaults of a zero GA.
const (
	DefaultPopulationSize    = 32
	DefaultLevels            = 8
	DefaultTournamentSize    = 3
	DefaultCrossoverRate     = 0.5
	DefaultSigma             = 0.5
	DefaultSigmaDim          = 16
	DefaultMigrationInterval = 5
)

// GA is a genetic algorithm on eaopt v0.4.2 as a train.Method: real-valued
// genomes over θ, Gaussian mutation, uniform or arithmetic crossover,
// eaopt's evolution models, tournament or elitist selection, several
// populations with eaopt.MigRing migration. Its zero value works.
//
// # Fitness and budget
//
// The fitness of an individual is its mean base return over Levels training
// levels. Every generation g (1-based) asks the problem's level source for
// its levels (see "Curriculum"; by default fresh ones, train.Levels(gen,
// seed, "ga/levels", g, Levels)), and every member of
// every population is evaluated on them (common random numbers), including
// the members that survived from the previous generation: their old fitness
// was measured on other levels. The rollout of member i (populations in
// order, members in order) on level k draws its actions from
// seeds.New(seed, "ga/rollout", g, i, k); the members are rolled out in
// parallel with train.Evaluate. Models that evaluate offspring while
// evolving (steady-state, down-to-size, mutation-only) do so on the
// parents' levels, one individual at a time with its levels spread over the
// workers (the n-th such evaluation of generation g in population p plays
// level k with seeds.New(seed, "ga/offspring", g, p, n, k)).
//
// Every rollout is charged to the budget with train.Meter.Charge, in a
// canonical order: the offspring evaluations in the order the models make
// them, each level by level; then the generation's evaluation member by
// member (populations in order), level by level. Training stops at the
// episode at which the budget is spent, even in the middle of a
// generation: such a cut generation is charged but otherwise discarded.
// Results do not depend on the number of workers.
//
// The initial population draws member i of population p from
// Family.Init with seeds.New(seed, "ga/init", p, i), or, when Problem.Init is
// set, takes Problem.Init for member 0 and Problem.Init plus N(0, σ²)
// noise per gene for the others, σ the mutation scale (see Mutation
// scale). Population p's eaopt random source is
// math/rand seeded with seeds.Derive(seed, "ga/population", p), migration's
// with seeds.Derive(seed, "ga/migration").
//
// Otherwise training stops at the end of a generation, with the first
// train.Status that applies; the mean return of a generation is the mean
// over all its members. A non-finite θ in a generation makes every fitness
// NaN, without rollouts, and a NaN fitness stops training with
// train.Diverged (the generation is not complete).
//
// # Statistics and results
//
// After each complete generation the GA records one train.Stats per
// population (Stats.Population): the min, mean, max and standard deviation
// of its members' returns, the best member return of any generation so far
// (Best), and its best member (Params). The result describes the last
// complete generation: its best member by that generation's fitness (Role
// train.RoleFinal, Index 0; the first population's on ties), the one agent
// a GA hands over for evaluation, and every member (Role
// train.RolePopulation, Index p·PopulationSize + rank in population p,
// Fitness its return on that generation's levels). Nothing is re-evaluated
// to choose the final agent: like the SGD's last θ and the ES's centre, it
// is what training left, and its fitness is optimistic (the best of
// PopulationSize noisy measurements).
//
// # Curriculum
//
// The levels of generation g come from the source Problem.Source(gen,
// "ga/levels") makes (train.Random unless Problem.Curriculum says
// otherwise), and after the generation's evaluation the source learns the
// population's mean return on each level: the regret that scores a level
// is the oracle's return minus that mean, over every member of every
// population. The mean rather than the elite's return, because the elite
// is the member that did best on these very levels (its return on them is
// biased upward by its selection, and would understate every level's
// regret), because one member's single episode per level is a noisy
// measurement where the population's is an average of PopulationSize, and
// because what the GA trains is the population: a level the population
// fails on is one its search has not covered. The mean costs nothing:
// every member plays every level anyway. The offspring evaluations of the
// steady-state, down-to-size and mutation-only models are not reported to
// the source.
//
// # Mutation scale
//
// A mutation adds N(0, σ²) to each mutated gene, with σ = Sigma for θ of at
// most SigmaDim parameters and σ = Sigma·√(SigmaDim/dim) beyond: the size
// of a whole-genome mutation, ‖Δθ‖ ≈ Sigma·√SigmaDim = 2 by default, does
// not grow with the dimension. With one σ for all, a reactive θ (341
// parameters) or an mlp θ (5248) moves about 4.6 or 18 times as far per
// mutation as a planner θ (14-17): each offspring is a random policy rather
// than a variant of its parent. The alternative of mutating about k genes
// (GeneRate k/dim) did no better. Measured on the "train" preset at 4M env
// steps (success of the final agent on 400 held-out levels, sampled
// actions): reactive 65% mean over 6 seeds with the scaled σ (0.108)
// against 44% unscaled (0.5); mlp 50% over 5 seeds against 29% unscaled
// over 3; per-gene σ
// from half to twice the scaled value, gene rates 0.05-0.2 with σ 0.5, and
// other models, selections and crossovers all gave 55-72% for reactive.
// The planner (14 parameters) keeps σ = 0.5 (99% success).
//
// The defaults of PopulationSize (32) and Levels (8) give about 250
// generations in 4M env steps on reactive, where 64 and 16 gave about 60:
// the GA improves per generation more than a better measured fitness
// helps it (reactive 65% against 40-55%; the planner 99% either way). It
// still improves at 4M steps: at 16M reactive succeeds 85-94% (3 seeds),
// mlp 73% (one seed).
//
// # What is wrapped
//
// eaopt's GA driver (GA.Minimize) is not used: it evaluates inside the
// driver with its own ParallelEval flag (ga.go:52, 108), runs populations on
// goroutines of their own (population.go:51-59) regardless of
// Settings.Workers and never re-evaluates survivors. The GA drives
// generations itself with eaopt's Population, Model, Selector and Migrator,
// so eaopt never seeds a random source from the clock (GAConfig.NewGA,
// ga_config.go:35) and never logs; it ignores eaopt's Individual.Evaluated
// cache (see the genome type) and eaopt's hall of fame.
//
// On the "train" preset with agents.Planner{}, the zero GA's final agent
// reaches 95% of the optimal training return (the oracle's) within
// 4,000,000 env steps, about 900 generations: 0.99-1.00 on 400 held-out
// training levels over 5 training seeds, 0.983 in the conformance test.
type GA struct {
	// PopulationSize is the number of individuals in each population, at
	// least 2; 0 means DefaultPopulationSize.
	PopulationSize int
	// Populations is the number of populations (islands); 0 means 1.
	Populations int
	// Levels is the number of training levels each individual is
	// evaluated on per generation; 0 means DefaultLevels.
	Levels int
	// Model is the evolution model; "" means Generational.
	Model Model
	// Selection selects parents; "" means Tournament.
	Selection Selection
	// TournamentSize is the number of contestants per tournament, at most
	// PopulationSize; 0 means DefaultTournamentSize.
	TournamentSize int
	// Elites is the number of best individuals the Generational model
	// carries over unchanged into the next generation, where they are
	// evaluated again like everyone else; 0 means 1 and a negative value
	// none. The other models keep parents by construction and ignore it.
	Elites int
	// Crossover is the crossover operator; "" means Uniform.
	Crossover Crossover
	// CrossoverRate is the probability that two selected parents are
	// crossed; 0 means DefaultCrossoverRate (use NoCrossover to disable).
	CrossoverRate float64
	// MutationRate is the probability that an offspring is mutated
	// (eaopt's MutRate); 0 means 1.
	MutationRate float64
	// GeneRate is the probability that each gene of a mutated offspring
	// changes; 0 means 1.
	GeneRate float64
	// Sigma is the mutation scale, 0 means DefaultSigma: the standard
	// deviation of the Gaussian mutation of each gene, and of the spread
	// of the initial population around Problem.Init, for θ of at most
	// SigmaDim parameters. Larger θ get Sigma·√(SigmaDim/dim) per gene
	// (see "Mutation scale").
	Sigma float64
	// SigmaDim is the dimension above which the per-gene mutation scale
	// shrinks as 1/√dim; 0 means DefaultSigmaDim, a negative value keeps
	// Sigma whatever the dimension.
	SigmaDim int
	// Migrants is the number of individuals eaopt.MigRing swaps between
	// consecutive populations, at most PopulationSize; 0 means 1. Unused
	// with one population.
	Migrants int
	// MigrationInterval is the number of generations between migrations,
	// which happen before evolving generations g with g−1 a multiple of
	// it; 0 means DefaultMigrationInterval.
	MigrationInterval int
}

var _ train.Method = (*GA)(nil)

// Name returns "ga".
func (*GA) Name() string { return "ga" }

// gaConfig is a GA with defaults resolved and names turned into operators.
type gaConfig struct {
	size, pops, levels, elites   int
	migrants, migInterval        int
	sigmaDim                     int
	crossRate, mutRate, geneRate float64
	sigma                        float64
	geneSigma                    float64 // per-gene σ for the problem's dimension
	model                        Model
	applications                 int // Model.Apply calls per generation
	eaModel                      eaopt.Model
	cross                        func(dst, a, b []float64, rng Rand)
	selector                     eaopt.Selector
	tournament                   int
}

func orDefault[T int | float64](v, def T) T {
	if v == 0 {
		return def
	}
	return v
}

// mutationSigma returns the per-gene mutation σ for θ of dimension dim:
// sigma, times √(sigmaDim/dim) when dim exceeds sigmaDim > 0.
func (c *gaConfig) mutationSigma(dim int) float64 {
	if c.sigmaDim <= 0 || dim <= c.sigmaDim {
		return c.sigma
	}
	return c.sigma * math.Sqrt(float64(c.sigmaDim)/float64(dim))
}

// Validate reports the first bad setting, naming the field.
func (ga *GA) Validate() error {
	_, err := ga.config()
	return err
}

func (ga *GA) config() (gaConfig, error) {
	c := gaConfig{
		size:        orDefault(ga.PopulationSize, DefaultPopulationSize),
		pops:        orDefault(ga.Populations, 1),
		levels:      orDefault(ga.Levels, DefaultLevels),
		elites:      orDefault(ga.Elites, 1),
		migrants:    orDefault(ga.Migrants, 1),
		migInterval: orDefault(ga.MigrationInterval, DefaultMigrationInterval),
		crossRate:   orDefault(ga.CrossoverRate, DefaultCrossoverRate),
		mutRate:     orDefault(ga.MutationRate, 1),
		geneRate:    orDefault(ga.GeneRate, 1),
		sigma:       orDefault(ga.Sigma, DefaultSigma),
		sigmaDim:    orDefault(ga.SigmaDim, DefaultSigmaDim),
		tournament:  orDefault(ga.TournamentSize, DefaultTournamentSize),
		model:       ga.Model,
	}
	if c.elites < 0 {
		c.elites = 0
	}
	switch {
	case c.size < 2 || c.size > 1<<20:
		return c, fmt.Errorf("ga: population_size: %d out of range [2, %d]", c.size, 1<<20)
	case c.pops < 1 || c.pops > 1<<10:
		return c, fmt.Errorf("ga: populations: %d out of range [1, %d]", c.pops, 1<<10)
	case c.levels < 1 || c.levels > 1<<16:
		return c, fmt.Errorf("ga: levels: %d out of range [1, %d]", c.levels, 1<<16)
	case c.tournament < 1 || c.tournament > c.size:
		return c, fmt.Errorf("ga: tournament_size: %d out of range [1, population_size %d]", c.tournament, c.size)
	case c.elites >= c.size:
		return c, fmt.Errorf("ga: elites: %d must be less than population_size %d", c.elites, c.size)
	case c.migrants < 1 || c.migrants > c.size:
		return c, fmt.Errorf("ga: migrants: %d out of range [1, population_size %d]", c.migrants, c.size)
	case c.sigmaDim > 1<<30:
		return c, fmt.Errorf("ga: sigma_dim: %d out of range (at most %d)", c.sigmaDim, 1<<30)
	case c.migInterval < 1:
		return c, fmt.Errorf("ga: migration_interval: %d must be positive", c.migInterval)
	case !(c.crossRate > 0 && c.crossRate <= 1):
		return c, fmt.Errorf("ga: crossover_rate: %v out of range (0, 1] (0 means %v)", c.crossRate, DefaultCrossoverRate)
	case !(c.mutRate > 0 && c.mutRate <= 1):
		return c, fmt.Errorf("ga: mutation_rate: %v out of range (0, 1] (0 means 1)", c.mutRate)
	case !(c.geneRate > 0 && c.geneRate <= 1):
		return c, fmt.Errorf("ga: gene_rate: %v out of range (0, 1] (0 means 1)", c.geneRate)
	case !(c.sigma > 0 && c.sigma < 1e6):
		return c, fmt.Errorf("ga: sigma: %v must be a finite value > 0 (0 means %v)", c.sigma, DefaultSigma)
	}
	switch ga.Crossover {
	case "", Uniform:
		c.cross = UniformCrossover
	case Arithmetic:
		c.cross = ArithmeticCrossover
	case NoCrossover:
		c.cross = nil
	default:
		return c, fmt.Errorf("ga: crossover: unknown operator %q (one of %q, %q, %q)", ga.Crossover, Uniform, Arithmetic, NoCrossover)
	}
	switch ga.Selection {
	case "", Tournament:
		c.selector = tournament{c.tournament}
	case Elitism:
		c.selector = eaopt.SelElitism{}
	default:
		return c, fmt.Errorf("ga: selection: unknown selection %q (one of %q, %q)", ga.Selection, Tournament, Elitism)
	}
	c.applications = 1
	switch c.model {
	case "", Generational:
		c.model = Generational
		c.eaModel = eaopt.ModGenerational{Selector: c.selector, MutRate: c.mutRate, CrossRate: c.crossRate}
	case SteadyState:
		c.eaModel = eaopt.ModSteadyState{Selector: c.selector, KeepBest: true, MutRate: c.mutRate, CrossRate: c.crossRate}
		c.applications = max(c.size/2, 1)
	case DownToSize:
		c.eaModel = eaopt.ModDownToSize{NOffsprings: uint(c.size), SelectorA: c.selector, SelectorB: eaopt.SelElitism{},
			MutRate: c.mutRate, CrossRate: c.crossRate}
	case MutationOnly:
		c.eaModel = eaopt.ModMutationOnly{Strict: true}
	default:
		return c, fmt.Errorf("ga: model: unknown model %q (one of %q)", ga.Model, Models)
	}
	if c.model != Generational {
		c.elites = 0
	}
	if c.cross == nil {
		// The genome would ignore crossovers anyway; with rate 0 eaopt
		// never asks for one.
		c.crossRate = 0
	}
	if err := c.eaModel.Validate(); err != nil {
		return c, fmt.Errorf("ga: model %s: %w", c.model, err)
	}
	return c, nil
}

// Train runs the GA on p within s (nil means zero Settings). It returns an
// error for an invalid problem or configuration or a failed Recorder;
// cancellation and divergence are reported in Result.Status.
func (ga *GA) Train(ctx context.Context, p *train.Problem, s *train.Settings) (*train.Result, error) {
	if p == nil {
		return nil, fmt.Errorf("ga: nil problem")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("ga: %w", err)
	}
	cfg, err := ga.config()
	if err != nil {
		return nil, err
	}
	gen, err := world.NewGenerator(p.Train)
	if err != nil {
		return nil, fmt.Errorf("ga: problem: train: %w", err)
	}
	src, err := p.Source(gen, "ga/levels")
	if err != nil {
		return nil, fmt.Errorf("ga: %w", err)
	}
	if s == nil {
		s = &train.Settings{}
	}
	workers := train.Workers(s.Workers)
	dim := p.Family.Dim()
	cfg.geneSigma = cfg.mutationSigma(dim)
	run := &gaRun{
		ctx: ctx, cfg: cfg, fam: p.Family, root: p.Seed, workers: workers, meter: train.NewMeter(s),
		runners: make([]paddedRunner, workers), thetas: make([][]float64, workers),
		policies: make([]agents.Policy, workers), offspringStreams: seeds.Of(p.Seed, "ga/offspring"),
	}
	for w := range run.runners {
		run.runners[w].BaseReturn = p.BaseReturn
	}

	pops := make(eaopt.Populations, cfg.pops)
	for k := range pops {
		rng := mathRand(p.Seed, "ga/population", uint64(k))
		indis := make(eaopt.Individuals, cfg.size)
		for i := range indis {
			x := make([]float64, dim)
			r := seeds.New(p.Seed, "ga/init", uint64(k), uint64(i))
			if p.Init != nil {
				copy(x, p.Init)
				if i > 0 {
					GaussianMutation(x, 1, cfg.geneSigma, r)
				}
			} else {
				p.Family.Init(x, r)
			}
			indis[i] = eaopt.NewIndividual(&genome{x: x, run: run}, rng)
		}
		pops[k] = eaopt.Population{Individuals: indis, ID: fmt.Sprint(k), RNG: rng}
	}
	migrator := eaopt.MigRing{NMigrants: uint(cfg.migrants)}
	migRNG := mathRand(p.Seed, "ga/migration")

	var (
		last      = make([]eaopt.Individuals, cfg.pops) // the last complete generation, sorted
		params    = make([][]float64, cfg.pops*cfg.size)
		each      []float64 // every member's return on every level
		levelMean = make([]float64, cfg.levels)
		status    train.Status
		best      = math.Inf(-1)
		lastStats train.Stats
	)
	// stop sets the status after an error of generation g: cancellation,
	// a spent budget, or a real error.
	stop := func(g int, what string, err error) error {
		switch {
		case ctx.Err() != nil:
			status = train.Canceled
		case errors.Is(err, errBudget):
			status = run.meter.Exhausted()
		default:
			return fmt.Errorf("ga: generation %d%s: %w", g, what, err)
		}
		return nil
	}
	for g := 1; status == train.NotTerminated; g++ {
		if g > 1 {
			if cfg.pops > 1 && (g-1)%cfg.migInterval == 0 {
				migrator.Apply(pops, migRNG)
			}
			for k := range pops {
				if err := evolvePopulation(run, &pops[k], k, &cfg); err != nil {
					if err := stop(g, fmt.Sprintf(", population %d", k), err); err != nil {
						return nil, err
					}
					break
				}
			}
			if status != train.NotTerminated {
				break
			}
		}

		// Evaluate every member of every population on the generation's
		// levels.
		run.gen, run.levels = g, src.Levels(g, cfg.levels)
		for k, pop := range pops {
			for i, ind := range pop.Individuals {
				params[k*cfg.size+i] = ind.Genome.(*genome).x
			}
		}
		var evs []train.Evaluation
		if slices.ContainsFunc(params, func(x []float64) bool { return !train.Finite(x) }) {
			// Training has diverged: nothing is rolled out, every
			// fitness is NaN.
			evs = make([]train.Evaluation, len(params))
			for i := range evs {
				evs[i].Return = math.NaN()
			}
		} else {
			each = slices.Grow(each[:0], len(params)*cfg.levels)[:len(params)*cfg.levels]
			evs, err = train.EvaluateEach(ctx, p, params, run.levels, "ga/rollout", g, workers, run.meter, each)
			if err == nil && len(evs) < len(params) {
				err = errBudget // the generation is cut short
			}
			if err != nil {
				if err := stop(g, "", err); err != nil {
					return nil, err
				}
				break
			}
		}
		run.meter.Iteration = g
		diverged := false
		returns := make([]float64, 0, len(params))
		for k := range pops {
			indis := pops[k].Individuals
			for i := range indis {
				gn := indis[i].Genome.(*genome)
				ret := evs[k*cfg.size+i].Return
				diverged = diverged || math.IsNaN(ret) || math.IsInf(ret, 0)
				gn.fit, gn.gen = -ret, g
				indis[i].Fitness, indis[i].Evaluated = -ret, true
				returns = append(returns, ret)
			}
			if !diverged {
				indis.SortByFitness()
				last[k] = slices.Clone(indis)
			}
		}
		var scored []train.LevelStat
		if !diverged {
			// The level source scores each level by the population's
			// mean return on it (see "Curriculum").
			train.MeanByLevel(levelMean, each, len(params))
			scored = src.Update(g, levelMean)
		}
		for k := range pops {
			indis := pops[k].Individuals
			rs := returns[k*cfg.size : (k+1)*cfg.size]
			st := train.Stats{Method: "ga", Population: k, Params: indis[0].Genome.(*genome).x, Levels: scored}
			st.Min, st.Mean, st.Max, st.Std = train.Describe(rs)
			if !diverged {
				best = max(best, st.Max)
			}
			st.Best = best
			if err := run.meter.Record(&st); err != nil {
				return nil, fmt.Errorf("ga: recorder: %w", err)
			}
			lastStats = st
		}
		if diverged {
			status = train.Diverged
			break
		}
		_, mean, _, _ := train.Describe(returns)
		status = run.meter.Status(ctx, mean)
	}
	res := &train.Result{Status: status, EnvSteps: run.meter.EnvSteps, Episodes: run.meter.Episodes}
	if last[0] != nil {
		// The final agent: the best member of the last complete
		// generation, by that generation's fitness (the first population
		// first on ties).
		fin := train.Agent{Role: train.RoleFinal, Fitness: math.Inf(-1)}
		for k, indis := range last {
			for i, ind := range indis {
				x := ind.Genome.(*genome).x
				if -ind.Fitness > fin.Fitness {
					fin.Params, fin.Fitness = x, -ind.Fitness
				}
				res.Agents = append(res.Agents, train.Agent{Role: train.RolePopulation, Index: k*cfg.size + i,
					Params: slices.Clone(x), Fitness: -ind.Fitness})
			}
		}
		fin.Params = slices.Clone(fin.Params)
		res.Agents = slices.Insert(res.Agents, 0, fin)
	}
	lastStats.Params = nil
	res.Last = lastStats
	return res, nil
}

// errBudget stops a generation at the episode at which the budget is spent.
var errBudget = errors.New("budget spent")

// evolvePopulation applies the model to population k, in place, on the
// current (its parents') levels.
func evolvePopulation(run *gaRun, pop *eaopt.Population, k int, cfg *gaConfig) error {
	run.pop, run.offspring = k, 0
	// Sorted after the last evaluation, but migration may have mixed it;
	// eaopt's selectors expect sorted individuals.
	pop.Individuals.SortByFitness()
	elites := pop.Individuals[:cfg.elites].Clone(pop.RNG)
	for range cfg.applications {
		// eaopt's fitness cache is not trusted: every fitness it wants
		// comes through genome.Evaluate, which knows whether θ was
		// measured on the current levels (and is free when it was). A
		// member marked evaluated would pass the mark on to its clones,
		// and a clone crossed as a mate would keep it (see
		// genome.Crossover); the tournament leaves the mark alone.
		for i := range pop.Individuals {
			pop.Individuals[i].Evaluated = false
		}
		if err := cfg.eaModel.Apply(pop); err != nil {
			return err
		}
		if testHookAfterApply != nil {
			testHookAfterApply(run, pop)
		}
	}
	copy(pop.Individuals, elites)
	return nil
}

// testHookAfterApply, if not nil, is called after each Model.Apply.
var testHookAfterApply func(run *gaRun, pop *eaopt.Population)

// mathRand returns a math/rand (v1) generator, what eaopt consumes, seeded
// from the derived stream (root, purpose, path...).
func mathRand(root uint64, purpose string, path ...uint64) *rand.Rand {
	return rand.New(rand.NewSource(int64(seeds.Derive(root, purpose, path...))))
}
