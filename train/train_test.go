package train_test

import (
	"context"
	"errors"
	"math"
	"slices"
	"sync/atomic"
	"testing"

	"mesa/agents"
	"mesa/train"
	"mesa/world"
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
	for _, w := range []int{1, 2, 3} {
		got, err := train.Evaluate(t.Context(), fam, params, levels, 9, "rollout", 0, w)
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
