package sgd

import (
	"fmt"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// BenchmarkUpdate measures whole REINFORCE updates — fresh levels, a batch
// of 16 episodes rolled out with ∇log π accumulated per step, the gradient
// and an Adam step — on 11x11 train levels. θ is reset to its initial
// value after every update, so every update plays the same near-uniform
// initial policy (long episodes: the expensive case) rather than a policy
// that improves with b.N.
func BenchmarkUpdate(b *testing.B) {
	d := trainDist(b)
	d.Width = world.IntRange{Min: 11, Max: 11}
	gen, err := world.NewGenerator(d)
	if err != nil {
		b.Fatal(err)
	}
	m := &REINFORCE{}
	levels := levelsOf(b, m, gen, 1, DefaultBatchSize)
	for _, fam := range []agents.Family{agents.Planner{}, agents.Reactive{}, agents.MLP{}} {
		for _, workers := range []int{1, 2} {
			b.Run(fmt.Sprintf("%s/workers=%d", fam.Name(), workers), func(b *testing.B) {
				r := newRun(m, fam, 1, workers, nil)
				init := append([]float64(nil), r.theta...)
				var st train.Stats
				update, steps := 0, 0
				for b.Loop() {
					if err := r.rollout(b.Context(), len(r.workers), update, levels(update)); err != nil {
						b.Fatal(err)
					}
					r.update(&st)
					copy(r.theta, init)
					steps += r.steps()
					update++
				}
				b.ReportMetric(float64(update)/b.Elapsed().Seconds(), "updates/s")
				b.ReportMetric(float64(steps)/b.Elapsed().Seconds(), "steps/s")
			})
		}
	}
}
