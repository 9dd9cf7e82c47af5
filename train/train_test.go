package train_test

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

func TestParallelCoversEveryIndexOnce(t *testing.T) {
	for _, workers := range []int{1, 2, 7} {
		var seen [100]atomic.Int32
		if err := train.Parallel(t.Context(), workers, len(seen), func(w, i int) error {
			if w < 0 || w >= workers {
				t.Errorf("worker %d out of range", w)
			}
			seen[i].Add(1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if n := seen[i].Load(); n != 1 {
				t.Fatalf("workers %d: index %d ran %d times", workers, i, n)
			}
		}
	}
}

func TestParallelStopsOnError(t *testing.T) {
	boom := errors.New("boom")
	var ran atomic.Int32
	err := train.Parallel(t.Context(), 2, 1000, func(_, i int) error {
		ran.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) {
		t.Fatalf("err = %v", err)
	}
	if ran.Load() == 1000 {
		t.Error("an error did not stop the remaining work")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := train.Parallel(ctx, 1, 5, func(_, _ int) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Errorf("canceled context: %v", err)
	}
}

func TestEvaluateIndependentOfWorkers(t *testing.T) {
	d, _ := world.Preset("train")
	g, _ := world.NewGenerator(d)
	levels := train.Levels(g, 9, "test", 0, 8)
	fam := agents.Reactive{}
	params := make([][]float64, 5)
	for i := range params {
		params[i] = make([]float64, fam.Dim())
		for j := range params[i] {
			params[i][j] = math.Sin(float64(i*7 + j))
		}
	}
	var want []train.Evaluation
	p := &train.Problem{Family: fam, Seed: 9}
	for _, w := range []int{1, 2, 3} {
		got, err := train.Evaluate(t.Context(), p, params, levels, "rollout", 0, w, nil)
		if err != nil {
			t.Fatal(err)
		}
		if want == nil {
			want = got
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("workers %d: %v, want %v", w, got, want)
		}
	}
	for _, e := range want {
		if e.Episodes != len(levels) || e.Steps < len(levels) || e.Return < 0 || e.Return > 1 {
			t.Errorf("implausible evaluation %+v", e)
		}
	}
}

// TestEvaluateFollowsBaseReturn: the oracle's return on a level is the
// problem's rule applied to its steps.
func TestEvaluateFollowsBaseReturn(t *testing.T) {
	d, _ := world.Preset("train")
	g, _ := world.NewGenerator(d)
	levels := train.Levels(g, 3, "test", 0, 6)
	oracle := scriptedFamily{agents.Oracle(agents.Rationality{})}
	for _, rule := range []world.BaseReturn{world.Sooner, world.Binary} {
		p := &train.Problem{Family: oracle, BaseReturn: rule, Seed: 3}
		for k, l := range levels {
			ev, err := train.Evaluate(t.Context(), p, [][]float64{nil}, levels[k:k+1], "rollout", 0, 1, nil)
			if err != nil {
				t.Fatal(err)
			}
			if want := rule.Return(true, ev[0].Steps, l.StepLimit); ev[0].Return != want {
				t.Errorf("%v, level %d: return %v after %d steps, want %v", rule, k, ev[0].Return, ev[0].Steps, want)
			}
		}
	}
}

// scriptedFamily is a Family of one parameterless scripted policy.
type scriptedFamily struct{ p agents.Policy }

func (f scriptedFamily) Name() string                           { return "scripted" }
func (f scriptedFamily) Dim() int                               { return 0 }
func (f scriptedFamily) ParamNames() []string                   { return nil }
func (f scriptedFamily) Init([]float64, *rand.Rand)             {}
func (f scriptedFamily) Policy([]float64) agents.Differentiable { return scriptedPolicy{f.p} }

type scriptedPolicy struct{ agents.Policy }

func (scriptedPolicy) GradLogProb([]float64, world.Action, float64) {}

// TestEvaluateWithinBudget: with a meter, Evaluate charges episodes member
// by member, level by level, stops at the episode at which the budget is
// spent, and returns the fully charged members, the same for any number of
// workers.
func TestEvaluateWithinBudget(t *testing.T) {
	d, _ := world.Preset("train")
	g, _ := world.NewGenerator(d)
	levels := train.Levels(g, 9, "test", 0, 5)
	fam := agents.Reactive{}
	params := make([][]float64, 7)
	for i := range params {
		params[i] = make([]float64, fam.Dim())
		for j := range params[i] {
			params[i][j] = math.Cos(float64(i*3 + j))
		}
	}
	p := &train.Problem{Family: fam, Seed: 9}
	all, err := train.Evaluate(t.Context(), p, params, levels, "rollout", 0, 1, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The episodes' steps in canonical order, replayed with a Runner.
	var ep []int
	var r agents.Runner
	for i := range params {
		for k, l := range levels {
			ep = append(ep, r.Run(fam.Policy(params[i]), l, seeds.New(9, "rollout", 0, uint64(i), uint64(k))).Steps)
		}
	}
	total := 0
	for _, s := range ep {
		total += s
	}
	tests := []struct {
		name string
		s    train.Settings
	}{
		{"no limit", train.Settings{EnvSteps: total + 1}},
		{"exactly", train.Settings{EnvSteps: total}},
		{"one step", train.Settings{EnvSteps: 1}},
		{"mid member", train.Settings{EnvSteps: ep[0] + ep[1] + ep[2] + ep[3] + ep[4] + ep[5] + 1}},
		{"last member", train.Settings{EnvSteps: total - ep[len(ep)-1]}},
		{"episodes", train.Settings{EnvSteps: total + 1, Episodes: 12}},
	}
	for _, tt := range tests {
		// The expected stop: the first episode after which the budget
		// is spent.
		steps, n := 0, 0
		for n < len(ep) && steps < tt.s.EnvSteps && (tt.s.Episodes == 0 || n < tt.s.Episodes) {
			steps += ep[n]
			n++
		}
		for _, w := range []int{1, 2, 3} {
			m := train.NewMeter(&tt.s)
			got, err := train.Evaluate(t.Context(), p, params, levels, "rollout", 0, w, m)
			if err != nil {
				t.Fatal(err)
			}
			if m.EnvSteps != steps || m.Episodes != n {
				t.Errorf("%s, %d workers: charged %d steps, %d episodes; want %d, %d", tt.name, w, m.EnvSteps, m.Episodes, steps, n)
			}
			if len(got) != n/len(levels) || !slices.Equal(got, all[:len(got)]) {
				t.Errorf("%s, %d workers: %d evaluations %v, want the first %d of %v", tt.name, w, len(got), got, n/len(levels), all)
			}
		}
	}
	// A spent meter rolls out nothing.
	m := train.NewMeter(&train.Settings{EnvSteps: 1})
	m.Add(1, 1)
	if got, err := train.Evaluate(t.Context(), p, params, levels, "rollout", 0, 2, m); err != nil || len(got) != 0 || m.EnvSteps != 1 {
		t.Errorf("spent meter: %d evaluations, %d steps, %v", len(got), m.EnvSteps, err)
	}
}

func TestMeterCharge(t *testing.T) {
	tests := []struct {
		s     train.Settings
		steps []int
		want  int // episodes charged
		st    train.Status
	}{
		{train.Settings{EnvSteps: 10}, []int{4, 4, 4, 4}, 3, train.StepBudget},
		{train.Settings{EnvSteps: 8}, []int{4, 4, 4}, 2, train.StepBudget},
		{train.Settings{EnvSteps: 100, Episodes: 2}, []int{4, 4, 4}, 2, train.EpisodeBudget},
		{train.Settings{EnvSteps: 100}, []int{4, 4, 4}, 3, train.NotTerminated},
	}
	for _, tt := range tests {
		m := train.NewMeter(&tt.s)
		n := 0
		for _, s := range tt.steps {
			if !m.Charge(s) {
				break
			}
			n++
		}
		if n != tt.want || m.Episodes != n || m.Exhausted() != tt.st {
			t.Errorf("%+v charging %v: %d episodes charged (meter %d), exhausted %v; want %d, %v", tt.s, tt.steps, n, m.Episodes, m.Exhausted(), tt.want, tt.st)
		}
	}
}

func TestMeterStatus(t *testing.T) {
	tests := []struct {
		s          train.Settings
		steps, eps int
		iter       int
		ret        float64
		want       train.Status
	}{
		{train.Settings{}, 0, 0, 1, 0, train.NotTerminated},
		{train.Settings{}, train.DefaultEnvSteps, 0, 1, 0, train.StepBudget},
		{train.Settings{EnvSteps: 10}, 10, 0, 1, 0, train.StepBudget},
		{train.Settings{EnvSteps: 10, Episodes: 2}, 5, 2, 1, 0, train.EpisodeBudget},
		{train.Settings{EnvSteps: 10, Iterations: 3}, 5, 1, 3, 0, train.IterationLimit},
		{train.Settings{EnvSteps: 10, TargetReturn: 0.9}, 10, 1, 3, 0.95, train.TargetReached},
	}
	for _, tt := range tests {
		m := train.NewMeter(&tt.s)
		m.Add(tt.steps, tt.eps)
		m.Iteration = tt.iter
		if got := m.Status(t.Context(), tt.ret); got != tt.want {
			t.Errorf("%+v: status %v, want %v", tt, got, tt.want)
		}
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if got := train.NewMeter(nil).Status(ctx, 0); got != train.Canceled {
		t.Errorf("canceled: %v", got)
	}
}

func TestDescribe(t *testing.T) {
	lo, mean, hi, std := train.Describe([]float64{1, 2, 3, 4})
	if lo != 1 || mean != 2.5 || hi != 4 || math.Abs(std-math.Sqrt(1.25)) > 1e-12 {
		t.Errorf("Describe = %v %v %v %v", lo, mean, hi, std)
	}
	if a, b, c, d := train.Describe(nil); a != 0 || b != 0 || c != 0 || d != 0 {
		t.Error("Describe(nil) not zero")
	}
	if train.Finite([]float64{1, math.NaN()}) || !train.Finite([]float64{1, 2}) {
		t.Error("Finite wrong")
	}
	if train.Diverged.String() != "diverged" || train.Status(99).String() != "Status(99)" {
		t.Error("Status names")
	}
}
