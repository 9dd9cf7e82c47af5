package sgd

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// collect is a Recorder that keeps a copy of every Stats, Elapsed zeroed
// so that runs can be compared byte for byte.
type collect struct {
	stats  []train.Stats
	levels []string
}

func (c *collect) Record(s *train.Stats) error {
	cp := *s
	cp.Elapsed = 0
	cp.Params = append([]float64(nil), s.Params...)
	// Levels by seed: the pointers differ between runs.
	cp.Levels = nil
	for _, l := range s.Levels {
		c.levels = append(c.levels, fmt.Sprintf("%d:%d %s %v %v", s.Iteration, l.Level.Seed, l.Origin, l.Return, l.Regret))
	}
	c.stats = append(c.stats, cp)
	return nil
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	tests := []struct {
		name string
		fam  agents.Family
		m    REINFORCE
		its  int
	}{
		{"bias/defaults", biasFamily{}, REINFORCE{}, 6},
		{"planner/entropy", agents.Planner{}, REINFORCE{EntropyBonus: 0.1, Baseline: BaselineValue}, 4},
		{"reactive/momentum", agents.Reactive{}, REINFORCE{Optimizer: &Momentum{}, BatchSize: 5, Baseline: BaselineBatchMean}, 4},
		{"mlp/pool", agents.MLP{}, REINFORCE{LevelPool: 7, BatchSize: 6}, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var ref string
			for _, w := range []int{1, 2} {
				rec := &collect{}
				res, err := tc.m.Train(t.Context(), &train.Problem{Family: tc.fam, Train: trainDist(t), Seed: 5},
					&train.Settings{Iterations: tc.its, Workers: w, Recorder: rec})
				if err != nil {
					t.Fatal(err)
				}
				res.Last.Elapsed = 0
				got := fmt.Sprintf("%+v\n%v\n%+v", rec.stats, rec.levels, *res)
				if w == 1 {
					ref = got
					if res.Status != train.IterationLimit || len(rec.stats) != tc.its {
						t.Fatalf("status %v after %d updates, want %v after %d", res.Status, len(rec.stats), train.IterationLimit, tc.its)
					}
					continue
				}
				if got != ref {
					t.Errorf("workers %d differ from workers 1:\n%s\nvs\n%s", w, got, ref)
				}
			}
		})
	}
}

// TestSeedsDiffer guards the determinism test against a method that
// ignores its seed.
func TestSeedsDiffer(t *testing.T) {
	var thetas [2][]float64
	for i := range thetas {
		res, err := (&REINFORCE{}).Train(t.Context(), &train.Problem{Family: biasFamily{}, Train: trainDist(t), Seed: uint64(i)},
			&train.Settings{Iterations: 2})
		if err != nil {
			t.Fatal(err)
		}
		thetas[i] = res.Agents[0].Params
	}
	if fmt.Sprint(thetas[0]) == fmt.Sprint(thetas[1]) {
		t.Errorf("seeds 0 and 1 give the same θ %v", thetas[0])
	}
}

func TestDivergence(t *testing.T) {
	tests := []struct {
		name string
		fam  agents.Family
		m    REINFORCE
	}{
		{"nan_gradient", biasFamily{nan: true}, REINFORCE{}},
		// An absurd learning rate without clipping overflows θ.
		{"huge_rate/sgd", agents.Reactive{}, REINFORCE{Optimizer: &SGD{LearningRate: 1e308}, ClipNorm: -1, BatchSize: 4}},
		{"huge_rate/momentum", agents.Reactive{}, REINFORCE{Optimizer: &Momentum{LearningRate: 1e307}, ClipNorm: -1, BatchSize: 4}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			init := make([]float64, tc.fam.Dim())
			rec := &collect{}
			res, err := tc.m.Train(t.Context(), &train.Problem{Family: tc.fam, Train: trainDist(t), Seed: 3, Init: init},
				&train.Settings{Iterations: 50, Recorder: rec})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != train.Diverged {
				t.Fatalf("status %v, want %v", res.Status, train.Diverged)
			}
			if len(rec.stats) == 0 || rec.stats[len(rec.stats)-1].Iteration != res.Last.Iteration {
				t.Fatalf("the recorder did not get the last update (%d records, last iteration %d)", len(rec.stats), res.Last.Iteration)
			}
			last := rec.stats[len(rec.stats)-1]
			theta := res.Agents[0].Params
			if !train.Finite(theta) || fmt.Sprint(theta) != fmt.Sprint(last.Params) {
				t.Errorf("agent θ %v, want the finite θ last recorded %v", theta, last.Params)
			}
			if res.Agents[0].Role != "final" || len(res.Agents) != 1 {
				t.Errorf("agents %+v, want one final agent", res.Agents)
			}
			if res.Last.Params != nil {
				t.Errorf("Result.Last.Params is set")
			}
			t.Logf("diverged at update %d: grad norm %v", res.Last.Iteration, res.Last.GradNorm)
		})
	}
}

func TestBudgets(t *testing.T) {
	tests := []struct {
		name   string
		s      train.Settings
		status train.Status
	}{
		{"steps", train.Settings{EnvSteps: 3000}, train.StepBudget},
		{"episodes", train.Settings{Episodes: 44}, train.EpisodeBudget}, // in the middle of update 6
		{"iterations", train.Settings{Iterations: 3}, train.IterationLimit},
		// The bias family at θ = 0 is a random walk: it reaches no high
		// target, while a low one is met at once.
		{"target", train.Settings{TargetReturn: 1e-9, Iterations: 100}, train.TargetReached},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &collect{}
			tc.s.Recorder = rec
			m := &REINFORCE{BatchSize: 8}
			// Fixed small levels with a generous step limit, so that a
			// batch reaches the exit at least once.
			d := trainDist(t)
			d.Width = world.IntRange{Min: 5, Max: 5}
			d.Apples.Count = world.IntRange{Min: 0, Max: 1}
			res, err := m.Train(t.Context(), &train.Problem{Family: biasFamily{}, Train: d, Seed: 9}, &tc.s)
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != tc.status {
				t.Fatalf("status %v, want %v", res.Status, tc.status)
			}
			steps, prev := 0, 0
			for i, st := range rec.stats {
				if st.Iteration != i+1 || st.Episodes != 8*(i+1) || st.EnvSteps <= prev || st.Method != "sgd" {
					t.Fatalf("update %d: %+v", i+1, st)
				}
				steps, prev = st.EnvSteps, st.EnvSteps
				if st.StepSize != DefaultLearningRate || st.Entropy <= 0 || st.Entropy > math.Log(4)+1e-12 {
					t.Errorf("update %d: step size %v, entropy %v", i+1, st.StepSize, st.Entropy)
				}
			}
			if res.Last.Iteration != len(rec.stats) {
				t.Errorf("result counts %d updates, recorded %d", res.Last.Iteration, len(rec.stats))
			}
			switch tc.status {
			case train.StepBudget:
				// Stopped at the episode at which the budget was spent,
				// in the middle of the batch after the last update.
				if res.EnvSteps < tc.s.EnvSteps || res.EnvSteps >= tc.s.EnvSteps+25 || res.Episodes <= 8*len(rec.stats) || res.Episodes >= 8*(len(rec.stats)+1) {
					t.Errorf("result counts %d steps, %d episodes for a budget of %d steps (episodes of at most 25 steps); %d updates recorded",
						res.EnvSteps, res.Episodes, tc.s.EnvSteps, len(rec.stats))
				}
			case train.EpisodeBudget:
				if res.Episodes != tc.s.Episodes || res.Episodes <= 8*len(rec.stats) || res.Episodes >= 8*(len(rec.stats)+1) {
					t.Errorf("result counts %d episodes for a budget of %d; %d updates recorded", res.Episodes, tc.s.Episodes, len(rec.stats))
				}
			default:
				if res.EnvSteps != steps || res.Episodes != 8*len(rec.stats) {
					t.Errorf("result counts %d steps, %d episodes; recorded %d, %d", res.EnvSteps, res.Episodes, steps, 8*len(rec.stats))
				}
			}
			// The final θ is that of the last complete update.
			if n := len(rec.stats); n > 0 && !slices.Equal(res.Agents[0].Params, rec.stats[n-1].Params) {
				t.Errorf("final θ %v, last update's %v", res.Agents[0].Params, rec.stats[n-1].Params)
			}
		})
	}
}

// TestEpisodeSteps checks the step accounting against an independent
// count: the batch's steps equal the episodes replayed with agents.Runner
// under the same rollout streams.
func TestEpisodeSteps(t *testing.T) {
	gen, err := world.NewGenerator(trainDist(t))
	if err != nil {
		t.Fatal(err)
	}
	const batch = 6
	levels := train.Levels(gen, 4, "sgd-level", 0, batch)
	theta := []float64{0.2, 0.5, 0.4, -0.1}
	r := newRun(&REINFORCE{BatchSize: batch}, biasFamily{}, 4, 2, theta)
	if err := r.rollout(t.Context(), 2, 0, levels); err != nil {
		t.Fatal(err)
	}
	var runner agents.Runner
	for i, l := range levels {
		s := runner.Run(biasFamily{}.Policy(theta), l, newRolloutRand(4, 0, i))
		if s.Steps != r.eps[i].steps || s.Return != r.eps[i].ret {
			t.Errorf("episode %d: %d steps, return %v; Runner: %d steps, return %v", i, r.eps[i].steps, r.eps[i].ret, s.Steps, s.Return)
		}
	}
}

func TestNonFiniteInit(t *testing.T) {
	rec := &collect{}
	res, err := (&REINFORCE{}).Train(t.Context(), &train.Problem{Family: biasFamily{}, Train: trainDist(t), Init: []float64{0, math.Inf(-1), 0, 0}},
		&train.Settings{Recorder: rec})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != train.Diverged || len(res.Agents) != 0 || len(rec.stats) != 0 || res.EnvSteps != 0 {
		t.Errorf("got %+v after %d records, want diverged at once with no agent", res, len(rec.stats))
	}
}

func TestCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	init := []float64{1, 2, 3, 4}
	res, err := (&REINFORCE{}).Train(ctx, &train.Problem{Family: biasFamily{}, Train: trainDist(t), Init: init}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != train.Canceled || res.Episodes != 0 || fmt.Sprint(res.Agents[0].Params) != fmt.Sprint(init) {
		t.Errorf("got %+v, want canceled before any update with θ = init", res)
	}
}

// cancelAfter cancels its context when it records update n.
type cancelAfter struct {
	n      int
	cancel context.CancelFunc
}

func (c cancelAfter) Record(s *train.Stats) error {
	if s.Iteration == c.n {
		c.cancel()
	}
	return nil
}

func TestCanceledMidway(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	res, err := (&REINFORCE{BatchSize: 4}).Train(ctx, &train.Problem{Family: biasFamily{}, Train: trainDist(t)},
		&train.Settings{Recorder: cancelAfter{3, cancel}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != train.Canceled || res.Last.Iteration != 3 || res.Episodes != 12 {
		t.Errorf("status %v after %d updates and %d episodes, want canceled after 3 and 12", res.Status, res.Last.Iteration, res.Episodes)
	}
}

type failing struct{}

func (failing) Record(*train.Stats) error { return errors.New("disk full") }

func TestErrors(t *testing.T) {
	d := trainDist(t)
	bad := d
	bad.Exit.Region = "middle"
	tests := []struct {
		name string
		m    REINFORCE
		p    *train.Problem
		s    *train.Settings
		want string
	}{
		{"nil problem", REINFORCE{}, nil, nil, "sgd: nil problem"},
		{"no family", REINFORCE{}, &train.Problem{Train: d}, nil, "no policy family"},
		{"bad distribution", REINFORCE{}, &train.Problem{Family: biasFamily{}, Train: bad}, nil, "exit.region"},
		{"init length", REINFORCE{}, &train.Problem{Family: biasFamily{}, Train: d, Init: []float64{1}}, nil, "init has 1 parameters"},
		{"batch", REINFORCE{BatchSize: -1}, &train.Problem{Family: biasFamily{}, Train: d}, nil, "batch size -1"},
		{"baseline", REINFORCE{Baseline: 9}, &train.Problem{Family: biasFamily{}, Train: d}, nil, "unknown baseline 9"},
		{"baseline rate", REINFORCE{BaselineRate: 2}, &train.Problem{Family: biasFamily{}, Train: d}, nil, "baseline rate 2"},
		{"entropy", REINFORCE{EntropyBonus: -1}, &train.Problem{Family: biasFamily{}, Train: d}, nil, "entropy bonus -1"},
		{"clip", REINFORCE{ClipNorm: math.NaN()}, &train.Problem{Family: biasFamily{}, Train: d}, nil, "clip norm"},
		{"pool", REINFORCE{LevelPool: -2}, &train.Problem{Family: biasFamily{}, Train: d}, nil, "level pool -2"},
		{"optimizer", REINFORCE{Optimizer: &Adam{Beta1: 1.5}}, &train.Problem{Family: biasFamily{}, Train: d}, nil, "sgd: optimizer: adam: beta1"},
		{"recorder", REINFORCE{}, &train.Problem{Family: biasFamily{}, Train: d}, &train.Settings{Recorder: failing{}}, "disk full"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := tc.m.Train(t.Context(), tc.p, tc.s)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one containing %q", err, tc.want)
			}
			if res != nil {
				t.Errorf("result %+v with an error", res)
			}
		})
	}
}

func TestLevelSources(t *testing.T) {
	gen, err := world.NewGenerator(trainDist(t))
	if err != nil {
		t.Fatal(err)
	}
	fresh := levelsOf(t, &REINFORCE{}, gen, 1, 3)
	pool := levelsOf(t, &REINFORCE{LevelPool: 4}, gen, 1, 3)
	want := train.Levels(gen, 1, "sgd-level", 0, 4)
	// Pool of 4, batches of 3: update 1 plays pool levels 3, 0, 1.
	got := pool(1)
	for i, k := range []int{3, 0, 1} {
		if got[i].Seed != want[k].Seed {
			t.Errorf("pool update 1 episode %d: level seed %d, want pool level %d", i, got[i].Seed, k)
		}
	}
	if a, b := fresh(0)[0].Seed, fresh(1)[0].Seed; a == b || a != want[0].Seed {
		t.Errorf("fresh levels: update 0 seed %d, update 1 seed %d, pool level 0 seed %d", a, b, want[0].Seed)
	}
	p := &train.Problem{Seed: 1, Curriculum: replayCurriculum{}}
	if _, err := (&REINFORCE{LevelPool: 4}).source(p, gen, 3); err == nil || !strings.Contains(err.Error(), "level pool 4") {
		t.Errorf("a level pool with a replay curriculum: %v, want an error naming the pool", err)
	}
}

// replayCurriculum is a curriculum named like the replay one.
type replayCurriculum struct{ train.Random }

func (replayCurriculum) Name() string { return "replay" }

// levelsOf returns the levels of each update of m's level source on gen
// for a problem of the given seed.
func levelsOf(tb testing.TB, m *REINFORCE, gen *world.Generator, seed uint64, batch int) func(update int) []*world.Level {
	src, err := m.source(&train.Problem{Seed: seed}, gen, batch)
	if err != nil {
		tb.Fatal(err)
	}
	return func(update int) []*world.Level { return src.Levels(update, batch) }
}

func TestParseBaseline(t *testing.T) {
	for b := BaselineRunningMean; b <= BaselineNone; b++ {
		got, err := ParseBaseline(b.String())
		if err != nil || got != b {
			t.Errorf("ParseBaseline(%q) = %v, %v", b.String(), got, err)
		}
	}
	if _, err := ParseBaseline("median"); err == nil || !strings.Contains(err.Error(), `"median"`) {
		t.Errorf("ParseBaseline(median): error %v", err)
	}
}

// TestUpdateDivergencePaths forces each divergence check of update on a
// hand-made batch and checks that θ keeps its last finite value.
func TestUpdateDivergencePaths(t *testing.T) {
	tests := []struct {
		name    string
		opt     Optimizer
		grad0   float64 // first gradient component of episode 0
		entropy float64
	}{
		{"finite", &SGD{LearningRate: 1}, 4, 1},
		{"theta_overflows", &SGD{LearningRate: math.MaxFloat64}, 4, 1},
		// Adam's v = g² overflows while its step m̂/√v̂ stays finite.
		{"optimizer_state", &Adam{}, 1e200, 1},
		{"gradient_nan", &SGD{}, math.NaN(), 1},
		{"entropy_nan", &SGD{}, 1, math.NaN()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			init := []float64{1, 2, 3, 4}
			r := newRun(&REINFORCE{BatchSize: 2, Baseline: BaselineNone, Optimizer: tc.opt, ClipNorm: -1}, biasFamily{}, 1, 1, init)
			r.eps[0].ret, r.eps[0].steps, r.eps[0].entropy = 1, 3, tc.entropy
			r.eps[1].ret, r.eps[1].steps, r.eps[1].entropy = 0, 5, 2
			r.eps[0].grad[0] = tc.grad0
			r.eps[0].grad[1] = tc.grad0
			var st train.Stats
			diverged := r.update(&st)
			if want := tc.name != "finite"; diverged != want {
				t.Fatalf("diverged = %v, want %v (θ %v)", diverged, want, r.theta)
			}
			if !train.Finite(r.theta) {
				t.Errorf("θ = %v after the update", r.theta)
			}
			if diverged && fmt.Sprint(r.theta) != fmt.Sprint(init) {
				t.Errorf("θ = %v, want the last finite θ %v", r.theta, init)
			}
			if tc.name == "finite" {
				// θ += 1·(1/2)·(4, 4, 0, 0); 8 steps, mean entropy 3/8.
				if fmt.Sprint(r.theta) != "[3 4 3 4]" || st.Entropy != 3.0/8 || st.Mean != 0.5 || st.GradNorm != math.Sqrt(8) {
					t.Errorf("θ %v, stats %+v", r.theta, st)
				}
			}
		})
	}
}

// TestDefaultLearningRatePerFamily: a zero REINFORCE steps each family with
// its own default Adam learning rate.
func TestDefaultLearningRatePerFamily(t *testing.T) {
	tests := []struct {
		fam  agents.Family
		want float64
	}{
		{agents.Planner{}, 0.05},
		{agents.Reactive{}, 0.02},
		{agents.MLP{Hidden: 2}, 0.01},
		{biasFamily{}, DefaultLearningRate},
	}
	for _, tt := range tests {
		rec := &collect{}
		_, err := (&REINFORCE{BatchSize: 2}).Train(t.Context(), &train.Problem{Family: tt.fam, Train: trainDist(t), Seed: 1},
			&train.Settings{Iterations: 1, Recorder: rec})
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.stats[0].StepSize; got != tt.want || DefaultLearningRateFor(tt.fam.Name()) != tt.want {
			t.Errorf("%s: step size %v, want %v", tt.fam.Name(), got, tt.want)
		}
	}
}

// TestValueBaselineFitsTheReturn: the value baseline learns whatever the
// problem's base return is. An oracle takes a shortest path, so its return
// on a level with the exit at distance d and step limit L is 1 − 0.9·d/L
// under world.Sooner, exactly the value w = (1, −0.9, 0) predicts from
// φ = (1, d/L, (d/L)²), and 1 under world.Binary, w = (1, 0, 0). After 50
// updates the baseline predicts every batch's returns closely (a single
// least-mean-squares step per update still missed sooner returns by 0.1
// after 300).
func TestValueBaselineFitsTheReturn(t *testing.T) {
	gen, err := world.NewGenerator(trainDist(t))
	if err != nil {
		t.Fatal(err)
	}
	m := &REINFORCE{Baseline: BaselineValue}
	for _, rule := range []world.BaseReturn{world.Sooner, world.Binary} {
		r := newRun(m, oracleFamily{}, 5, 1, nil)
		r.rule = rule
		levels := levelsOf(t, m, gen, 5, r.batch)
		var st train.Stats
		worst := 0.0
		for u := range 100 {
			if err := r.rollout(t.Context(), 1, u, levels(u)); err != nil {
				t.Fatal(err)
			}
			if u >= 50 { // the baselines this batch gets, fitted on earlier ones
				r.gradient()
				for i := range r.eps {
					worst = max(worst, math.Abs(r.eps[i].ret-r.base[i]))
				}
			}
			r.update(&st)
		}
		t.Logf("%v: w = %.3f, worst |R − b| over updates 51-100 %.4f", rule, r.w, worst)
		if worst > 0.005 {
			t.Errorf("%v: the value baseline misses a return by %.4f after 50 updates (w = %v)", rule, worst, r.w)
		}
	}
}
