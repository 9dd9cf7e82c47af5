package agents

import (
	"testing"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// plannerBenchLevel returns a level of preset with its width forced to size.
func plannerBenchLevel(b *testing.B, preset string, size int) *world.Level {
	b.Helper()
	d, err := world.Preset(preset)
	if err != nil {
		b.Fatal(err)
	}
	d.Width = world.IntRange{Min: size, Max: size}
	l, err := d.Level(1)
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// plannerBenchTheta is a trained-looking θ: every weight non-zero, so that
// value iteration runs its full K sweeps.
func plannerBenchTheta() []float64 {
	theta := make([]float64, world.CellFeatures)
	Planner{}.Init(theta, seeds.New(1, "bench/planner"))
	theta[world.FeatKind+int(world.Exit)] = 1
	return theta
}

func benchmarkPlannerPlan(b *testing.B, preset string, size int) {
	l := plannerBenchLevel(b, preset, size)
	pol := Planner{}.Policy(plannerBenchTheta()).(*plannerPolicy)
	e := world.NewEpisode(l)
	for b.Loop() {
		pol.Reset(e)
	}
	b.ReportMetric(float64(pol.n), "floor-cells")
	if pol.sweeps > 0 {
		b.ReportMetric(float64(pol.sweeps), "sweeps")
	}
}

// BenchmarkPlannerPlan11 is one plan (Reset) on an 11x11 training level.
// Target: ≤ 30 µs.
func BenchmarkPlannerPlan11(b *testing.B) { benchmarkPlannerPlan(b, "train", 11) }

// BenchmarkPlannerPlan21 is one plan on a 21x21 deployment level. Target:
// ≤ 300 µs.
func BenchmarkPlannerPlan21(b *testing.B) { benchmarkPlannerPlan(b, "deploy", 21) }

// BenchmarkPlannerEpisode11 is a whole sampled episode on an 11x11 training
// level: a plan per Reset and per apple eaten, and a Probs per step. Target:
// ≤ 50 µs.
func BenchmarkPlannerEpisode11(b *testing.B) {
	l := plannerBenchLevel(b, "train", 11)
	pol := Planner{}.Policy(plannerBenchTheta())
	rng := seeds.New(2, "bench/planner-episode")
	var r Runner
	steps := 0
	for b.Loop() {
		steps += r.Run(pol, l, rng).Steps
	}
	b.ReportMetric(float64(steps)/float64(b.N), "steps/episode")
}

// BenchmarkPlannerGradLogProb is a plan and the first GradLogProb after it,
// which computes the tangents it needs, on an 11x11 and a 21x21 level, for
// a policy that has been asked for gradients before (so that it records
// the cells each sweep selects while it plans).
func BenchmarkPlannerGradLogProb(b *testing.B) {
	for _, tc := range []struct {
		name   string
		preset string
		size   int
	}{{"11x11", "train", 11}, {"21x21", "deploy", 21}} {
		b.Run(tc.name, func(b *testing.B) {
			l := plannerBenchLevel(b, tc.preset, tc.size)
			pol := Planner{}.Policy(plannerBenchTheta()).(*plannerPolicy)
			e := world.NewEpisode(l)
			grad := make([]float64, world.CellFeatures)
			var p Probs
			pol.Reset(e)
			pol.Probs(&p, e)
			pol.GradLogProb(grad, world.Right, 1)
			for b.Loop() {
				pol.Reset(e)
				pol.Probs(&p, e)
				pol.GradLogProb(grad, world.Right, 1)
			}
		})
	}
}

// plannerMixed returns 64 training levels (7x7 to 11x11) and 32 θ drawn
// around a planner that values the exit, as a GA generation sees them.
func plannerMixed(b *testing.B) ([]*world.Level, [][]float64) {
	d, err := world.Preset("train")
	if err != nil {
		b.Fatal(err)
	}
	g, err := world.NewGenerator(d)
	if err != nil {
		b.Fatal(err)
	}
	levels := make([]*world.Level, 64)
	for i := range levels {
		levels[i] = g.Level(uint64(100 + i))
	}
	rng := seeds.New(1, "bench/planner-mixed")
	thetas := make([][]float64, 32)
	for i := range thetas {
		thetas[i] = make([]float64, world.CellFeatures)
		for f := range thetas[i] {
			thetas[i][f] = 3 * rng.NormFloat64()
		}
		thetas[i][world.FeatKind+int(world.Exit)] += 10
	}
	return levels, thetas
}

// BenchmarkPlannerPlanMixed is one plan (Reset) per op on a training level
// with a θ that changes every op, cycling through 64 levels and 32 θ: the
// levels and θ of a GA generation. The plans differ (though they repeat
// every 2048 ops, which a branch predictor partly learns).
func BenchmarkPlannerPlanMixed(b *testing.B) {
	benchmarkPlanMixed(b, func(theta []float64) (Policy, func() int) {
		pol := Planner{}.Policy(theta).(*plannerPolicy)
		return pol, func() int { return pol.n }
	}, "ns/node")
}

// BenchmarkPlannerPlanMixedSweeps is BenchmarkPlannerPlanMixed with the
// horizon of the maze's size in finite sweeps (Iterations 20, about the
// training levels' eccentricity, which the default planner swept before
// its infinite horizon).
func BenchmarkPlannerPlanMixedSweeps(b *testing.B) {
	benchmarkPlanMixed(b, func(theta []float64) (Policy, func() int) {
		pol := Planner{Iterations: 20}.Policy(theta).(*plannerPolicy)
		return pol, func() int { return pol.n * pol.swept }
	}, "ns/node-sweep")
}

// benchmarkPlanMixed times Reset of the policy newPolicy returns for θ,
// with work (in unit) the nodes or node-sweeps of its last plan.
func benchmarkPlanMixed(b *testing.B, newPolicy func(theta []float64) (pol Policy, work func() int), unit string) {
	levels, thetas := plannerMixed(b)
	theta := make([]float64, world.CellFeatures)
	pol, work := newPolicy(theta)
	var e world.Episode
	k, sweeps := 0, 0
	for b.Loop() {
		copy(theta, thetas[k%len(thetas)])
		e.Reset(levels[k%len(levels)])
		pol.Reset(&e)
		sweeps += work()
		k++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sweeps), unit)
}
