package sgd

import (
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// TestLearning trains each agent family on the train preset with the zero
// REINFORCE (Adam at the family's default learning rate, batch 16, under the
// default base return, world.Sooner) and measures the training success of
// the final θ: the rate of reaching the exit, with sampled actions, on 400
// fresh train levels. The reference is the random walk, a uniform policy
// over the four actions for the level's step limit, on the same levels and
// streams.
//
// Full budgets: 1M environment steps, after which the planner must succeed
// 95% of the time, reactive 80% and MLP 70% (here: 100%, 88%, 80%; over 3
// other training seeds on other levels: 99-100%, 86-94%, 90%; at 4M, the
// default run's budget, reactive 95-98% and MLP 95-99%). With -short or
// -race the budgets shrink fivefold and the bars to planner 60%, reactive
// and MLP 35%.
func TestLearning(t *testing.T) {
	full := !testing.Short() && !raceEnabled
	d := trainDist(t)
	gen, err := world.NewGenerator(d)
	if err != nil {
		t.Fatal(err)
	}
	levels := train.Levels(gen, 1234, "sgd-test-eval", 0, 400)
	success := func(fam agents.Family, theta []float64) float64 {
		// Scored with the binary return: its mean is the success rate.
		p := &train.Problem{Family: fam, BaseReturn: world.Binary, Seed: 1234}
		ev, err := train.Evaluate(t.Context(), p, [][]float64{theta}, levels, "sgd-test-rollout", 0, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		return ev[0].Return
	}
	random := success(biasFamily{}, make([]float64, world.NumActions))
	t.Logf("random walk: %.3f success on train levels", random)
	if random > 0.15 {
		t.Fatalf("random walk succeeds %.3f: the train preset is too easy for this test", random)
	}

	tests := []struct {
		name      string
		fam       agents.Family
		steps     int
		want      float64 // minimum success with the full budget
		shortWant float64 // with a fifth of it
	}{
		{"planner", agents.Planner{}, 1_000_000, 0.95, 0.6},
		{"reactive", agents.Reactive{}, 1_000_000, 0.8, 0.35},
		{"mlp", agents.MLP{}, 1_000_000, 0.7, 0.35},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			steps, want := tc.steps, tc.want
			if !full {
				steps, want = steps/5, tc.shortWant
			}
			rec := &collect{}
			res, err := (&REINFORCE{}).Train(t.Context(), &train.Problem{Family: tc.fam, Train: d, Seed: 1},
				&train.Settings{EnvSteps: steps, Recorder: rec})
			if err != nil {
				t.Fatal(err)
			}
			if res.Status != train.StepBudget {
				t.Fatalf("status %v", res.Status)
			}
			got := success(tc.fam, res.Agents[0].Params)
			// The initial θ, as Train draws it.
			init := make([]float64, tc.fam.Dim())
			tc.fam.Init(init, seeds.New(1, "sgd-init"))
			before := success(tc.fam, init)
			// The learning curve: mean batch return over each fifth of
			// the updates.
			n := len(rec.stats)
			var curve [5]float64
			for i, st := range rec.stats {
				curve[i*5/n] += st.Mean / float64((i*5/n+1)*n/5-(i*5/n)*n/5)
			}
			t.Logf("%d steps, %d updates: success %.3f (initial θ %.3f, random walk %.3f); batch return by fifths of training %.3f",
				res.EnvSteps, n, got, before, random, curve)
			if got < want {
				t.Errorf("success %.3f after %d steps, want >= %.3f", got, res.EnvSteps, want)
			}
			if got < before+0.1 {
				t.Errorf("success %.3f, initial θ %.3f: no learning", got, before)
			}
		})
	}
}
