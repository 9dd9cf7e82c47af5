package evolve

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync"

	"github.com/MaxHalford/eaopt"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// Defaults of a zero ES.
const (
	DefaultESPopulation   = 32
	DefaultESSigma        = 0.35
	DefaultESLearningRate = 0.3
	DefaultESLevels       = 16
)

// ES is eaopt's OES, the evolution strategy of Salimans et al. (2017), as a
// train.Method: each generation samples Population points θ + σ·ε around a
// centre θ (ε ~ N(0, I)), measures their mean base return R on the same
// Levels training levels, and moves the centre along the estimated
// gradient of the expected return,
//
//	θ ← θ + LearningRate/(Population·σ) · Σₖ zₖ εₖ,   zₖ = (Rₖ − mean R)/std R.
//
// It is the third point between selection (GA) and true gradients (SGD):
// the population estimates a gradient, nothing is selected. Its zero value
// works.
//
// # Fitness and budget
//
// Generation g (1-based) evaluates its points on the Levels levels the
// problem's level source hands out (Problem.Source(gen, "es/levels"); by
// default fresh ones, train.Levels(gen, seed, "es/levels", g, Levels)),
// and the source then learns the points' mean return on each level (the
// regret of a level is the oracle's return minus it: an estimate of the
// centre's, at no extra cost). The points are evaluated in one parallel
// batch with
// train.Evaluate: point i, in the lexicographic order of the points, on
// level k draws its actions from seeds.New(seed, "es/rollout", g, i, k).
// Results do not depend on the number of workers, nor on the order in which
// eaopt hands out the points. Every rollout is charged to the budget with
// train.Meter.Charge in that order, point by point, level by level. The
// centre starts at Problem.Init, or is drawn from Family.Init with
// seeds.New(seed, "es/init"); eaopt's random source is math/rand seeded
// with seeds.Derive(seed, "es/eaopt").
//
// Training stops at the episode at which the step or episode budget is
// spent, even in the middle of a generation, which is then charged but
// neither recorded nor used. Otherwise it stops at the end of a generation,
// with the first train.Status that applies to the mean return of its
// points; a NaN return (a non-finite θ) or a non-finite centre stops it
// with train.Diverged. The centre moves after every complete generation but
// the last, so the result's centre is the one the last generation, complete
// or cut short, sampled around.
//
// On the "train" preset with agents.Planner{}, the zero ES's centre reaches
// 95% of the optimal training return (the oracle's) within 4,000,000 env
// steps, about 460 generations: 0.99-1.00 on 400 held-out training levels
// over 5 training seeds, 0.991 in the conformance test. With
// agents.Reactive{} it succeeds on 91-97% of held-out levels (5 seeds),
// with agents.MLP{} on 31-71%.
//
// # Statistics and results
//
// Every complete generation records one train.Stats: the min, mean, max and
// standard deviation of the points' returns, the best point return so far
// (Best) and the centre (Params). The result is the centre (Role
// train.RoleFinal, Fitness the mean return of the last complete
// generation's points, an estimate of the return of the centre they were
// sampled around).
//
// # What is wrapped
//
// eaopt v0.4.2's OES has traps this type avoids:
//   - its update (oes.go:105-114) sums zₖ·εₖ over points and coordinates
//     into one scalar and moves every coordinate of the centre by it, so the
//     centre only ever moves along (1, 1, …, 1). ES replaces GA.Callback with
//     the per-coordinate update above;
//   - it standardises returns by their standard deviation (oes.go:100-103),
//     which is 0 when every point scores the same (common on a hard maze)
//     and turns the centre into NaN. ES skips the update instead;
//   - OES.Minimize makes the centre alias its argument (oes.go:128) and
//     returns the best point ever sampled, not the centre. ES passes its own
//     copy and returns the centre;
//   - NewOES without a random source seeds one from the clock (oes.go:72-74,
//     util_random.go:10-11); ES always passes a derived one;
//   - eaopt evaluates points inside ModMutationOnly.Apply one at a time
//     (models.go:318) whatever its parallel flag, which only affects the
//     initial population and then uses GOMAXPROCS goroutines (ga.go:52,
//     individuals.go:58-73). One point's levels are little work to spread
//     over workers, so ES passes parallel = false, its F only records the
//     point, and the callback evaluates the whole generation in one batch
//     on Settings.Workers goroutines;
//   - when no point ever has a fitness below +Inf (all NaN, say), Minimize
//     panics reading its empty hall of fame (oes.go:132-133); ES's F never
//     returns NaN.
//
// eaopt's oesPoint keeps its θ and ε unexported; recording the points in F
// is the only way to read them.
type ES struct {
	// Population is the number of points per generation, at least 3
	// (eaopt's minimum); 0 means DefaultESPopulation.
	Population int
	// Sigma is the standard deviation σ of the perturbations; 0 means
	// DefaultESSigma.
	Sigma float64
	// LearningRate is the step size of the centre; 0 means
	// DefaultESLearningRate.
	LearningRate float64
	// Levels is the number of training levels per generation; 0 means
	// DefaultESLevels.
	Levels int
}

var _ train.Method = (*ES)(nil)

// Name returns "es".
func (*ES) Name() string { return "es" }

type esConfig struct {
	points, levels int
	sigma, lr      float64
}

// Validate reports the first bad setting, naming the field.
func (es *ES) Validate() error {
	_, err := es.config()
	return err
}

func (es *ES) config() (esConfig, error) {
	c := esConfig{
		points: orDefault(es.Population, DefaultESPopulation),
		levels: orDefault(es.Levels, DefaultESLevels),
		sigma:  orDefault(es.Sigma, DefaultESSigma),
		lr:     orDefault(es.LearningRate, DefaultESLearningRate),
	}
	switch {
	case c.points < 3 || c.points > 1<<20:
		return c, fmt.Errorf("es: population: %d out of range [3, %d]", c.points, 1<<20)
	case c.levels < 1 || c.levels > 1<<16:
		return c, fmt.Errorf("es: levels: %d out of range [1, %d]", c.levels, 1<<16)
	case !(c.sigma > 0 && c.sigma < 1e6):
		return c, fmt.Errorf("es: sigma: %v must be a finite value > 0 (0 means %v)", c.sigma, DefaultESSigma)
	case !(c.lr > 0 && c.lr < 1e6):
		return c, fmt.Errorf("es: learning_rate: %v must be a finite value > 0 (0 means %v)", c.lr, DefaultESLearningRate)
	}
	return c, nil
}

// esPoint is a point eaopt sampled and its mean return.
type esPoint struct {
	x   []float64
	ret float64
}

// esRun is the state of one ES.Train call.
type esRun struct {
	ctx     context.Context
	p       *train.Problem
	workers int
	meter   *train.Meter

	mu     sync.Mutex
	points []esPoint // recorded by f since the last evaluate

	each []float64 // every point's return on every level of the generation
}

// f is eaopt's F. It only records x (it does not retain it) and returns a
// placeholder fitness of 0: the points are evaluated together by evaluate,
// from the callback. eaopt never reads the placeholders in a way that
// matters: ModMutationOnly{Strict: false} replaces every point whatever its
// fitness (models.go:323), and ES ignores eaopt's sorting and hall of fame.
// f is safe for concurrent use.
func (r *esRun) f(x []float64) float64 {
	r.mu.Lock()
	r.points = append(r.points, esPoint{x: slices.Clone(x), ret: math.NaN()})
	r.mu.Unlock()
	return 0
}

// evaluate takes the points recorded since the last call, sorts them by θ
// (so the order of f calls never matters), and rolls them out on levels in
// one parallel batch: point i in that order on level k draws its actions
// from seeds.New(root, "es/rollout", gen, i, k), and the episodes are
// charged to the meter in that order. A non-finite point stops everything:
// nothing is rolled out and every return is NaN. It reports complete =
// false when the budget was spent before the last episode.
func (r *esRun) evaluate(gen int, levels []*world.Level) (pts []esPoint, complete bool, err error) {
	r.mu.Lock()
	pts = r.points
	r.points = nil
	r.mu.Unlock()
	slices.SortFunc(pts, func(a, b esPoint) int { return slices.Compare(a.x, b.x) })
	params := make([][]float64, len(pts))
	for i, pt := range pts {
		if !train.Finite(pt.x) {
			return pts, true, nil
		}
		params[i] = pt.x
	}
	r.each = slices.Grow(r.each[:0], len(params)*len(levels))[:len(params)*len(levels)]
	evs, err := train.EvaluateEach(r.ctx, r.p, params, levels, "es/rollout", gen, r.workers, r.meter, r.each)
	for i, ev := range evs {
		pts[i].ret = ev.Return
	}
	return pts, len(evs) == len(pts), err
}

// Train runs the ES on p within s (nil means zero Settings). It returns an
// error for an invalid problem or configuration or a failed Recorder;
// cancellation and divergence are reported in Result.Status.
func (es *ES) Train(ctx context.Context, p *train.Problem, s *train.Settings) (*train.Result, error) {
	if p == nil {
		return nil, fmt.Errorf("es: nil problem")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("es: %w", err)
	}
	cfg, err := es.config()
	if err != nil {
		return nil, err
	}
	gen, err := world.NewGenerator(p.Train)
	if err != nil {
		return nil, fmt.Errorf("es: problem: train: %w", err)
	}
	if s == nil {
		s = &train.Settings{}
	}
	src, err := p.Source(gen, "es/levels")
	if err != nil {
		return nil, fmt.Errorf("es: %w", err)
	}
	meter := train.NewMeter(s)
	run := &esRun{ctx: ctx, p: p, workers: train.Workers(s.Workers), meter: meter}
	levelMean := make([]float64, cfg.levels)
	centre := make([]float64, p.Family.Dim())
	if p.Init != nil {
		copy(centre, p.Init)
	} else {
		p.Family.Init(centre, seeds.New(p.Seed, "es/init"))
	}

	// nSteps only bounds eaopt's loop; the budget stops it through
	// EarlyStop.
	oes, err := eaopt.NewOES(uint(cfg.points), math.MaxInt32, cfg.sigma, cfg.lr, false, mathRand(p.Seed, "es/eaopt"))
	if err != nil {
		return nil, fmt.Errorf("es: %w", err)
	}
	var (
		status    train.Status
		recErr    error
		fitness   = math.NaN()
		best      = math.Inf(-1)
		lastStats train.Stats
		done      bool // a generation completed
		grad      = make([]float64, len(centre))
	)
	g := 1 // the generation being evaluated
	// Replaces eaopt's update (oes.go:95-115), see the type's doc. It runs
	// on the goroutine of Minimize after each generation is sampled.
	oes.GA.Callback = func(*eaopt.GA) {
		pts, complete, err := run.evaluate(g, src.Levels(g, cfg.levels))
		if err != nil || ctx.Err() != nil {
			status = train.Canceled
			return
		}
		if !complete {
			// The budget was spent in the middle of the generation: it
			// is charged, and the centre stays where it is.
			status = meter.Exhausted()
			return
		}
		rets := make([]float64, len(pts))
		for i, pt := range pts {
			rets[i] = pt.ret
		}
		meter.Iteration = g
		st := train.Stats{Method: "es", Params: centre}
		st.Min, st.Mean, st.Max, st.Std = train.Describe(rets)
		diverged := !train.Finite(rets) || !train.Finite(centre)
		if !diverged {
			// The level source scores each level by the points' mean
			// return on it: the centre's expected return.
			train.MeanByLevel(levelMean, run.each, len(pts))
			st.Levels = src.Update(g, levelMean)
		}
		if !diverged {
			best = max(best, st.Max)
		}
		st.Best = best
		if recErr = meter.Record(&st); recErr != nil {
			return
		}
		lastStats, fitness, done = st, st.Mean, true
		if diverged {
			status = train.Diverged
			return
		}
		if status = meter.Status(ctx, st.Mean); status != train.NotTerminated {
			return
		}
		// θ ← θ + lr/(nσ) Σ zₖ εₖ with εₖ = (xₖ − θ)/σ: the points were
		// sampled around the current centre, which has not moved since.
		if st.Std > 0 {
			clear(grad)
			for _, pt := range pts {
				z := (pt.ret - st.Mean) / st.Std
				for i, c := range centre {
					grad[i] += z * (pt.x[i] - c) / cfg.sigma
				}
			}
			step := cfg.lr / (float64(len(pts)) * cfg.sigma)
			for i := range centre {
				centre[i] += step * grad[i] // in place: eaopt's points read the centre
			}
		}
		g++
	}
	oes.GA.EarlyStop = func(*eaopt.GA) bool { return status != train.NotTerminated || recErr != nil }
	if _, _, err := oes.Minimize(run.f, centre); err != nil {
		return nil, fmt.Errorf("es: %w", err)
	}
	if recErr != nil {
		return nil, fmt.Errorf("es: recorder: %w", recErr)
	}
	res := &train.Result{Status: status, EnvSteps: meter.EnvSteps, Episodes: meter.Episodes}
	if done {
		res.Agents = []train.Agent{{Role: train.RoleFinal, Params: slices.Clone(centre), Fitness: fitness}}
	}
	lastStats.Params = nil
	res.Last = lastStats
	return res, nil
}
