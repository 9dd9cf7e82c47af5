package agents_test

import (
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// benchLevels returns 16 train levels of size 11x11.
func benchLevels(b *testing.B) []*world.Level {
	b.Helper()
	d, err := world.Preset("train")
	if err != nil {
		b.Fatal(err)
	}
	d.Width = world.IntRange{Min: 11, Max: 11}
	g, err := world.NewGenerator(d)
	if err != nil {
		b.Fatal(err)
	}
	ls := make([]*world.Level, 16)
	for i := range ls {
		ls[i] = g.Level(uint64(i))
	}
	return ls
}

// benchmarkSteps plays whole sampled episodes (observe, act, step) and
// reports environment steps per second.
func benchmarkSteps(b *testing.B, p agents.Policy) {
	levels := benchLevels(b)
	var r agents.Runner
	rng := seeds.New(1, "bench")
	steps, k := 0, 0
	b.ReportAllocs()
	for b.Loop() {
		s := r.Run(p, levels[k%len(levels)], rng)
		steps += s.Steps
		k++
	}
	b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
	b.ReportMetric(float64(steps)/float64(b.N), "steps/op")
}

func familyPolicy(fam agents.Family) agents.Differentiable {
	theta := make([]float64, fam.Dim())
	fam.Init(theta, seeds.New(2, "bench"))
	return fam.Policy(theta)
}

func BenchmarkReactiveSteps11(b *testing.B) { benchmarkSteps(b, familyPolicy(agents.Reactive{})) }

func BenchmarkMLPSteps11(b *testing.B) { benchmarkSteps(b, familyPolicy(agents.MLP{})) }

func BenchmarkOracleEpisode11(b *testing.B) {
	benchmarkSteps(b, agents.Oracle(agents.Rationality{}))
}

func BenchmarkToColourEpisode11(b *testing.B) {
	benchmarkSteps(b, agents.ToColour(world.Red, agents.Rationality{Beta: 2}))
}

// BenchmarkReactiveGradLogProb measures one REINFORCE gradient term.
func BenchmarkReactiveGradLogProb(b *testing.B) {
	benchmarkGradLogProb(b, agents.Reactive{})
}

func BenchmarkMLPGradLogProb(b *testing.B) { benchmarkGradLogProb(b, agents.MLP{}) }

func benchmarkGradLogProb(b *testing.B, fam agents.Family) {
	p := familyPolicy(fam)
	e := world.NewEpisode(benchLevels(b)[0])
	p.Reset(e)
	var probs agents.Probs
	p.Probs(&probs, e)
	grad := make([]float64, fam.Dim())
	for b.Loop() {
		p.GradLogProb(grad, world.Right, 0.1)
	}
}
