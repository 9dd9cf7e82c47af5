package train

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"
	"gonum.org/v1/gonum/stat"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// Workers resolves a worker count: n if positive, else GOMAXPROCS.
func Workers(n int) int {
	if n > 0 {
		return n
	}
	return runtime.GOMAXPROCS(0)
}

// Parallel calls fn(worker, i) for i in [0, n) on the given number of
// workers and waits. Work is handed out dynamically, so fn must derive any
// randomness from i, never from worker or from call order: that is what
// keeps results identical for any number of workers. worker indexes per-worker
// scratch state in [0, workers). The first error cancels the rest.
func Parallel(ctx context.Context, workers, n int, fn func(worker, i int) error) error {
	workers = min(Workers(workers), max(n, 1))
	if workers == 1 {
		for i := range n {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := fn(0, i); err != nil {
				return err
			}
		}
		return nil
	}
	g, ctx := errgroup.WithContext(ctx)
	var mu sync.Mutex
	next := 0
	for w := range workers {
		g.Go(func() error {
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return nil
				}
				if err := fn(w, i); err != nil {
					return err
				}
			}
		})
	}
	return g.Wait()
}

// Levels returns n training levels for an iteration: level k is
// g.Level(seeds.Derive(root, purpose, iteration, k)). Every member of an
// iteration is evaluated on the same levels (common random numbers), which
// makes fitness comparable within a generation.
func Levels(g *world.Generator, root uint64, purpose string, iteration, n int) []*world.Level {
	ls := make([]*world.Level, n)
	stream := seeds.Of(root, purpose)
	for k := range ls {
		ls[k] = g.Level(stream.Derive(uint64(iteration), uint64(k)))
	}
	return ls
}

// paddedRunner keeps each worker's Runner on cache lines of its own: a
// Runner is written on every step, and two of them sharing a line (false
// sharing) halve the speed-up of two workers. It keeps the worker's policy
// too, reused from member to member with θ copied into theta: a policy
// keeps buffers (and a planner its tables) from one episode to the next.
type paddedRunner struct {
	agents.Runner
	policy agents.Policy
	theta  []float64
	pcg    rand.PCG
	rng    *rand.Rand // draws from pcg
	_      [128]byte
}

// policyFor returns the worker's policy of fam playing a copy of theta.
func (r *paddedRunner) policyFor(fam agents.Family, theta []float64) agents.Policy {
	if r.policy == nil || len(r.theta) != len(theta) {
		r.theta = make([]float64, len(theta))
		r.policy = fam.Policy(r.theta)
	}
	copy(r.theta, theta) // Run resets the policy, which rereads θ
	return r.policy
}

// An Evaluation is the outcome of rolling out one parameter vector on a
// batch of levels.
type Evaluation struct {
	Return   float64 // mean base return
	Steps    int     // environment steps spent
	Episodes int
}

// Evaluate rolls out every params[i] once on every level, as policies of
// p.Family scored by p.BaseReturn, sampling the actions of params[i] on
// level k from the stream seeds.New(p.Seed, purpose, iteration, i, k), on
// the given number of workers. p.Train and p.Init are not used.
//
// With a nil meter, it returns one Evaluation per member. With a meter, it
// charges every episode to it with Meter.Charge in the canonical order —
// params[0] on levels[0], levels[1], …, then params[1], … — and stops at the
// first episode the meter refuses: it then returns the evaluations of the
// members all of whose episodes were charged, fewer than len(params). The
// evaluations, the charges and what is returned do not depend on workers;
// members past the stopping point are not started once it is known, and
// the few already started are discarded.
func Evaluate(ctx context.Context, p *Problem, params [][]float64, levels []*world.Level,
	purpose string, iteration, workers int, m *Meter) ([]Evaluation, error) {
	return EvaluateEach(ctx, p, params, levels, purpose, iteration, workers, m, nil)
}

// EvaluateEach is Evaluate that also writes the return of params[i] on
// levels[k] into each[i·len(levels)+k], for the members it returns; each
// must be nil or of length len(params)·len(levels). A level source scores
// levels by them (see LevelSource).
func EvaluateEach(ctx context.Context, p *Problem, params [][]float64, levels []*world.Level,
	purpose string, iteration, workers int, m *Meter, each []float64) ([]Evaluation, error) {
	if each != nil && len(each) != len(params)*len(levels) {
		return nil, fmt.Errorf("evaluate: %d slots for the returns of %d members on %d levels", len(each), len(params), len(levels))
	}
	out := make([]Evaluation, len(params))
	w := min(Workers(workers), max(len(params), 1))
	runners := make([]paddedRunner, w)
	for i := range runners {
		runners[i].BaseReturn = p.BaseReturn
	}
	// With a meter: the steps of every episode, member-major, and the
	// prefix of finished members charged so far.
	var (
		mu       sync.Mutex
		steps    []int
		finished []bool
		next     int           // members [0, next) are charged
		limit    = len(params) // members from limit on are not needed
		stop     atomic.Int64  // = limit, read without the lock
		charged  = len(params) // members fully charged, once known
		nl       = len(levels)
	)
	stop.Store(int64(limit))
	stream := seeds.Of(p.Seed, purpose)
	if m != nil {
		if m.Exhausted() != NotTerminated {
			return out[:0], nil
		}
		steps = make([]int, len(params)*nl)
		finished = make([]bool, len(params))
	}
	err := Parallel(ctx, w, len(params), func(worker, i int) error {
		if int64(i) >= stop.Load() {
			return nil
		}
		pr := &runners[worker]
		pol := pr.policyFor(p.Family, params[i])
		if pr.rng == nil {
			pr.rng = rand.New(&pr.pcg)
		}
		var ev Evaluation
		for k, l := range levels {
			pr.pcg = stream.PCG(uint64(iteration), uint64(i), uint64(k))
			s := pr.Run(pol, l, pr.rng)
			if each != nil {
				each[i*nl+k] = s.Return
			}
			ev.Return += s.Return
			ev.Steps += s.Steps
			ev.Episodes++
			if m != nil {
				steps[i*nl+k] = s.Steps
			}
		}
		if nl > 0 {
			ev.Return /= float64(nl)
		}
		out[i] = ev
		if m == nil {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		finished[i] = true
		for next < limit && finished[next] {
			for k := range nl {
				if !m.Charge(steps[next*nl+k]) {
					charged, limit = next, next
					stop.Store(int64(limit))
					return nil
				}
			}
			next++
		}
		return nil
	})
	if err != nil {
		return out, err
	}
	return out[:charged], nil
}

// MeanByLevel sets dst[k] to the mean over members of each[i·len(dst)+k],
// the members' returns on level k as EvaluateEach writes them, for
// members in [0, members).
func MeanByLevel(dst, each []float64, members int) {
	nl := len(dst)
	for k := range dst {
		sum := 0.0
		for i := range members {
			sum += each[i*nl+k]
		}
		dst[k] = sum / float64(members)
	}
}

// Describe returns the minimum, mean, maximum and (population) standard
// deviation of xs; all zero for an empty slice.
func Describe(xs []float64) (lo, mean, hi, std float64) {
	if len(xs) == 0 {
		return 0, 0, 0, 0
	}
	lo, hi = math.Inf(1), math.Inf(-1)
	for _, x := range xs {
		lo, hi = min(lo, x), max(hi, x)
	}
	mean, std = stat.PopMeanStdDev(xs, nil)
	return lo, mean, hi, std
}

// Finite reports whether every element of xs is neither NaN nor Inf.
func Finite(xs []float64) bool {
	for _, x := range xs {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}
