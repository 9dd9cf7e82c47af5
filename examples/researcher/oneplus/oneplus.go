// Package oneplus is a base optimizer from outside mesa: a (1+λ)
// evolution strategy. Each generation it perturbs the parent λ times
// with Gaussian noise, rolls out parent and offspring on the same fresh
// training levels, and keeps the best (the parent on a tie). The parent is
// re-evaluated every generation, so that one lucky evaluation does not
// stick. It uses only mesa's public contract: train.Method, train.Meter
// for the budget, train.Evaluate for rollouts, seeds for randomness.
package oneplus

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// Defaults of a zero ES.
const (
	DefaultLambda = 8
	DefaultSigma  = 0.1
	DefaultLevels = 4
)

// ES is a (1+λ) evolution strategy. Its zero value is ready to use.
type ES struct {
	Lambda int     // offspring per generation; 0 means DefaultLambda
	Sigma  float64 // mutation standard deviation; 0 means DefaultSigma
	Levels int     // training levels per generation; 0 means DefaultLevels
}

var _ train.Method = (*ES)(nil)

// Name returns "oneplus".
func (*ES) Name() string { return "oneplus" }

func (e *ES) settings() (lambda int, sigma float64, levels int) {
	lambda, sigma, levels = e.Lambda, e.Sigma, e.Levels
	if lambda == 0 {
		lambda = DefaultLambda
	}
	if sigma == 0 {
		sigma = DefaultSigma
	}
	if levels == 0 {
		levels = DefaultLevels
	}
	return
}

// Validate reports settings out of range, naming the field.
func (e *ES) Validate() error {
	lambda, sigma, levels := e.settings()
	switch {
	case lambda < 1 || lambda > 1<<16:
		return fmt.Errorf("lambda: %d out of range [1, %d]", lambda, 1<<16)
	case !(sigma > 0 && sigma < 1e6):
		return fmt.Errorf("sigma: %v must be a finite value > 0", sigma)
	case levels < 1 || levels > 1<<16:
		return fmt.Errorf("levels: %d out of range [1, %d]", levels, 1<<16)
	}
	return nil
}

// Train runs the strategy on p within s (nil means zero Settings). It
// always hands over the parent, the initial one if no generation
// completed.
func (e *ES) Train(ctx context.Context, p *train.Problem, s *train.Settings) (*train.Result, error) {
	if p == nil {
		return nil, errors.New("oneplus: nil problem")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("oneplus: %w", err)
	}
	if err := e.Validate(); err != nil {
		return nil, fmt.Errorf("oneplus: %w", err)
	}
	lambda, sigma, nLevels := e.settings()
	gen, err := world.NewGenerator(p.Train)
	if err != nil {
		return nil, fmt.Errorf("oneplus: problem: train: %w", err)
	}
	if s == nil {
		s = &train.Settings{}
	}
	m := train.NewMeter(s)
	parent := make([]float64, p.Family.Dim())
	if p.Init != nil {
		copy(parent, p.Init)
	} else {
		p.Family.Init(parent, seeds.New(p.Seed, "oneplus/init"))
	}
	mutate := seeds.New(p.Seed, "oneplus/mutate")
	var last train.Stats
	best, fitness := math.Inf(-1), math.NaN()
	status := train.NotTerminated
	for status == train.NotTerminated {
		g := m.Iteration + 1
		pop := [][]float64{parent}
		for range lambda {
			child := slices.Clone(parent)
			for i := range child {
				child[i] += sigma * mutate.NormFloat64()
			}
			pop = append(pop, child)
		}
		levels := train.Levels(gen, p.Seed, "oneplus/levels", g, nLevels)
		evs, err := train.Evaluate(ctx, p, pop, levels, "oneplus/rollout", g, s.Workers, m)
		if err != nil || ctx.Err() != nil {
			status = train.Canceled
			break
		}
		if len(evs) < len(pop) { // the budget ran out within the generation
			status = m.Exhausted()
			break
		}
		m.Iteration = g
		rets := make([]float64, len(evs))
		k := 0
		for i, ev := range evs {
			rets[i] = ev.Return
			if ev.Return > rets[k] {
				k = i
			}
		}
		parent, fitness = pop[k], rets[k]
		best = max(best, fitness)
		last = train.Stats{Method: e.Name(), Best: best, Params: parent}
		last.Min, last.Mean, last.Max, last.Std = train.Describe(rets)
		if err := m.Record(&last); err != nil {
			return nil, err
		}
		status = m.Status(ctx, last.Mean)
	}
	last.Params = nil
	return &train.Result{Status: status, Last: last, EnvSteps: m.EnvSteps, Episodes: m.Episodes,
		Agents: []train.Agent{{Role: train.RoleFinal, Params: parent, Fitness: fitness}}}, nil
}

// Settings are the strategy's config settings: an optimizers entry
// {name: oneplus, lambda: 16, sigma: 0.05}.
type Settings struct {
	Lambda int     `yaml:"lambda,omitempty"`
	Sigma  float64 `yaml:"sigma,omitempty"`
	Levels int     `yaml:"levels,omitempty"`
}

// Method returns the strategy; it takes no learning rate.
func (s *Settings) Method(float64) (train.Method, error) {
	e := &ES{Lambda: s.Lambda, Sigma: s.Sigma, Levels: s.Levels}
	return e, e.Validate()
}

// Memory estimates a run: λ+1 parameter vectors and the levels.
func (s *Settings) Memory(family string, dim int, levelBytes float64) (float64, string) {
	lambda, _, levels := (&ES{Lambda: s.Lambda, Levels: s.Levels}).settings()
	return float64((lambda+1)*dim*8+0) + float64(levels)*levelBytes,
		fmt.Sprintf("oneplus %s: %d vectors × θ %d × 8 B, %d levels", family, lambda+1, dim, levels)
}

// Type registers the strategy: experiment.Registry.RegisterOptimizer(oneplus.Type{}).
type Type struct{}

func (Type) Name() string                              { return "oneplus" }
func (Type) NewSettings() experiment.OptimizerSettings { return &Settings{} }
