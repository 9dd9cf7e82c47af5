package evolve

import (
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// benchProblem is the planner on the "train" preset with every level 11x11.
func benchProblem(b *testing.B) *train.Problem {
	d := trainPreset(b)
	d.Width = world.IntRange{Min: 11, Max: 11}
	return &train.Problem{Family: agents.Planner{}, Train: d, Seed: 1}
}

// benchGeneration times one generation (population 64, 16 levels each, a
// fresh random population, so most episodes run to the step limit of 121)
// per op; steps/op is the work done.
func benchGeneration(b *testing.B, m train.Method) {
	p := benchProblem(b)
	for _, workers := range []int{1, 2} {
		b.Run(map[int]string{1: "workers=1", 2: "workers=2"}[workers], func(b *testing.B) {
			steps := 0
			for b.Loop() {
				res, err := m.Train(b.Context(), p, &train.Settings{Iterations: 1, Workers: workers})
				if err != nil {
					b.Fatal(err)
				}
				steps = res.EnvSteps
			}
			b.ReportMetric(float64(steps), "steps/op")
		})
	}
}

func BenchmarkGAGeneration(b *testing.B) {
	// Without the end-of-training validation: one generation only.
	benchGeneration(b, &GA{PopulationSize: 64, Levels: 16})
}

func BenchmarkESGeneration(b *testing.B) {
	benchGeneration(b, &ES{Population: 64, Levels: 16})
}
