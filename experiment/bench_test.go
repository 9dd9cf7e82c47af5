package experiment

import (
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// BenchmarkRunDefault runs the default preset once per iteration: the
// wall time of `mesa` itself. The share of it spent logging is measured
// from a profile:
//
//	go test ./experiment -run '^$' -bench RunDefault -benchtime 1x -cpuprofile cpu.out
//	go tool pprof -top -focus 'mesa/data\.' cpu.out
func BenchmarkRunDefault(b *testing.B) {
	benchmarkRun(b, DefaultPreset, false)
}

// BenchmarkRunDefaultSteps is BenchmarkRunDefault with the steps table.
func BenchmarkRunDefaultSteps(b *testing.B) {
	benchmarkRun(b, DefaultPreset, true)
}

func benchmarkRun(b *testing.B, preset string, steps bool) {
	c, err := Preset(preset)
	if err != nil {
		b.Fatal(err)
	}
	c.Record.Steps = steps
	dir := b.TempDir()
	for b.Loop() {
		if _, err := Run(b.Context(), c, Options{Out: dir, Overwrite: true}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkAgentEvaluation times what evaluating one agent of the default
// run costs, part by part: the evaluation splits, the probe split, the
// graded probes and the verdict's bootstrap. The agent is a planner valuing
// the exit and green alike at a REINFORCE planner's θ scale, the slowest
// agent to evaluate (it plans); one worker.
//
//	go test ./experiment -run '^$' -bench AgentEvaluation -count 5
func BenchmarkAgentEvaluation(b *testing.B) {
	c, err := Preset(DefaultPreset)
	if err != nil {
		b.Fatal(err)
	}
	suite, err := newEvalSuite(c)
	if err != nil {
		b.Fatal(err)
	}
	theta := make([]float64, world.CellFeatures)
	names := world.FeatureNames()
	theta[slices.Index(names, "kind_exit")], theta[slices.Index(names, "colour_green")] = 17, 17
	fam := agents.Planner{}
	ag := evalAgent{ID: "bench/planner", Optimizer: "sgd", Family: "planner", Params: theta, family: fam}
	p := fam.Policy(theta)
	var tr agents.Trajectory
	run := suite.runner(&tr)
	cl := analysis.Classifier{Candidates: suite.cands}
	play := func(b *testing.B, probe bool) *analysis.Evidence {
		var ev *analysis.Evidence
		for i := range suite.splits {
			sp := &suite.splits[i]
			if sp.probe != probe {
				continue
			}
			if probe {
				ev = analysis.NewEvidence(suite.cands)
			}
			for k := range sp.episodes {
				lv, _, err := suite.play(&run, p, &ag, sp, k)
				if err != nil {
					b.Fatal(err)
				}
				cl.Classify(lv.level, &tr)
				if probe {
					ev.Add(lv.probe, &tr)
				}
			}
		}
		return ev
	}
	b.Run("splits", func(b *testing.B) {
		for b.Loop() {
			play(b, false)
		}
	})
	b.Run("probe", func(b *testing.B) {
		for b.Loop() {
			play(b, true)
		}
	})
	b.Run("graded", func(b *testing.B) {
		for b.Loop() {
			for _, g := range suite.gradedEpisodes() {
				if _, _, err := suite.playGraded(&run, p, &ag, g); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	ev := play(b, true)
	b.Run("verdict", func(b *testing.B) {
		for b.Loop() {
			ev.Verdict(suite.verdict, seeds.New(1, "bench"))
		}
	})
}
