package traintest_test

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/traintest"
	"github.com/mesa-alignment/mesa/world"
)

// climber is a small reference method: each iteration rolls out its θ and
// Children Gaussian perturbations of it on the same fresh levels, and moves
// θ to the best of them. Its fault flags break one part of the contract
// each, to show that the suite notices.
type climber struct {
	Children, Levels int
	Sigma            float64

	overspend     bool // charges whole iterations, and trains one past a spent budget
	workerNoise   bool // lets the number of workers leak into θ
	ignoreCancel  bool // never looks at the context
	swallowRecErr bool // ignores the recorder's errors
	twoFinals     bool // hands over two final agents
	binary        bool // optimises the binary return whatever the problem says
	ownLevels     bool // draws its own levels whatever its curriculum says
}

func (c *climber) Name() string { return "climber" }

func (c *climber) Train(ctx context.Context, p *train.Problem, s *train.Settings) (*train.Result, error) {
	if p == nil {
		return nil, fmt.Errorf("climber: nil problem")
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("climber: %w", err)
	}
	g, err := world.NewGenerator(p.Train)
	if err != nil {
		return nil, err
	}
	if s == nil {
		s = &train.Settings{}
	}
	if c.ignoreCancel {
		ctx = context.Background()
	}
	if c.binary {
		q := *p
		q.BaseReturn = world.Binary
		p = &q
	}
	src, err := p.Source(g, "climber/levels")
	if err != nil {
		return nil, err
	}
	meter := train.NewMeter(s)
	theta := make([]float64, p.Family.Dim())
	if p.Init != nil {
		copy(theta, p.Init)
	} else {
		p.Family.Init(theta, seeds.New(p.Seed, "climber/init"))
	}
	if c.workerNoise {
		theta[0] += 1e-9 * float64(train.Workers(s.Workers))
	}
	res := &train.Result{}
	fitness, extra := math.NaN(), 0
	for it := 1; ; it++ {
		params := [][]float64{theta}
		rng := seeds.New(p.Seed, "climber/children", uint64(it))
		for range c.Children {
			x := slices.Clone(theta)
			for i := range x {
				x[i] += c.Sigma * rng.NormFloat64()
			}
			params = append(params, x)
		}
		levels := src.Levels(it, c.Levels)
		if c.ownLevels {
			levels = train.Levels(g, p.Seed, "climber/own", it, c.Levels)
		}
		m := meter
		if c.overspend {
			m = nil // charged below, whole iterations at a time
		}
		each := make([]float64, len(params)*len(levels))
		evs, err := train.EvaluateEach(ctx, p, params, levels, "climber/rollout", it, s.Workers, m, each)
		if err != nil {
			res.Status = train.Canceled
			break
		}
		if c.overspend {
			for _, ev := range evs {
				meter.Add(ev.Steps, ev.Episodes)
			}
		}
		if len(evs) < len(params) {
			res.Status = meter.Exhausted() // cut short
			break
		}
		meter.Iteration = it
		rets := make([]float64, len(evs))
		best := 0
		for i, ev := range evs {
			rets[i] = ev.Return
			if !train.Finite(params[i]) {
				rets[i] = math.NaN()
			}
			if rets[i] > rets[best] {
				best = i
			}
		}
		// The level source learns θ's own return on each level.
		scored := src.Update(it, each[:len(levels)])
		theta, fitness = params[best], rets[best]
		st := train.Stats{Method: "climber", Best: fitness, Params: theta, Levels: scored}
		st.Min, st.Mean, st.Max, st.Std = train.Describe(rets)
		if err := meter.Record(&st); err != nil && !c.swallowRecErr {
			return nil, fmt.Errorf("climber: recorder: %w", err)
		}
		res.Last = st
		if !train.Finite(rets) {
			res.Status = train.Diverged
			break
		}
		if res.Status = meter.Status(ctx, st.Mean); res.Status != train.NotTerminated {
			if c.overspend && extra == 0 && (res.Status == train.StepBudget || res.Status == train.EpisodeBudget) {
				extra++
				continue
			}
			break
		}
	}
	res.Last.Params = nil
	res.EnvSteps, res.Episodes = meter.EnvSteps, meter.Episodes
	if meter.Iteration > 0 {
		res.Agents = []train.Agent{{Role: train.RoleFinal, Params: theta, Fitness: fitness}}
		if c.twoFinals {
			res.Agents = append(res.Agents, train.Agent{Role: train.RoleFinal, Index: 1, Params: theta, Fitness: fitness})
		}
	}
	return res, nil
}

// TestSuite runs the suite on the reference method, which keeps the
// contract (it learns the planner within 4M env steps).
func TestSuite(t *testing.T) {
	traintest.TestMethod(t, &climber{Children: 15, Levels: 8, Sigma: 0.35},
		traintest.Config{Budget: train.Settings{EnvSteps: 4_000_000}, SkipLearning: raceEnabled})
}

// TestSuiteCatchesFaults checks that each broken method fails the check it
// breaks, and only checks that can see the fault.
func TestSuiteCatchesFaults(t *testing.T) {
	tests := []struct {
		m     *climber
		check string
	}{
		{&climber{Children: 7, Levels: 4, Sigma: 0.5, overspend: true}, "Budgets"},
		{&climber{Children: 7, Levels: 4, Sigma: 0.5, workerNoise: true}, "Deterministic"},
		{&climber{Children: 7, Levels: 4, Sigma: 0.5, ignoreCancel: true}, "Canceled"},
		{&climber{Children: 7, Levels: 4, Sigma: 0.5, swallowRecErr: true}, "Errors"},
		{&climber{Children: 7, Levels: 4, Sigma: 0.5, twoFinals: true}, "Records"},
		{&climber{Children: 7, Levels: 4, Sigma: 0.5, binary: true}, "Objective"},
		{&climber{Children: 7, Levels: 4, Sigma: 0.5, ownLevels: true}, "Curriculum"},
	}
	// The faulty methods that ignore cancellation or the recorder run to
	// the end of a step budget: keep it small.
	cfg := traintest.Config{SkipLearning: true}
	for _, tt := range tests {
		err := traintest.Run(t.Context(), withBudget{tt.m, 200_000}, cfg)
		if err == nil {
			t.Errorf("%+v passed the suite", *tt.m)
			continue
		}
		t.Logf("%v", err)
		if !strings.Contains(err.Error(), tt.check+":") {
			t.Errorf("%+v: error does not name check %s:\n%v", *tt.m, tt.check, err)
		}
	}
	if err := traintest.Run(t.Context(), withBudget{&climber{Children: 7, Levels: 4, Sigma: 0.5}, 200_000}, cfg); err != nil {
		t.Errorf("the reference method fails:\n%v", err)
	}
}

// withBudget caps the step budget of runs that do not set one, so that
// methods that ignore cancellation still stop.
type withBudget struct {
	m     train.Method
	steps int
}

func (w withBudget) Name() string { return w.m.Name() }

func (w withBudget) Train(ctx context.Context, p *train.Problem, s *train.Settings) (*train.Result, error) {
	var c train.Settings
	if s != nil {
		c = *s
	}
	if c.EnvSteps == 0 {
		c.EnvSteps = w.steps
	}
	return w.m.Train(ctx, p, &c)
}
