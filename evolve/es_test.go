package evolve

import (
	"slices"
	"sync"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// TestESEvaluationIgnoresCallOrder: eaopt's F gets no context and may be
// called from goroutines. The points it records are evaluated in a batch
// whose result does not depend on the order of the calls, on whether they
// were concurrent, or on the number of workers.
func TestESEvaluationIgnoresCallOrder(t *testing.T) {
	g, err := world.NewGenerator(trainPreset(t))
	if err != nil {
		t.Fatal(err)
	}
	levels := train.Levels(g, 1, "es/levels", 3, 4)
	fam := agents.Planner{}
	points := make([][]float64, 8)
	for i := range points {
		points[i] = make([]float64, fam.Dim())
		fam.Init(points[i], seeds.New(1, "test/points", uint64(i)))
	}

	p := &train.Problem{Family: fam, Seed: 1}
	seq := &esRun{ctx: t.Context(), p: p, workers: 1, meter: train.NewMeter(nil)}
	for _, x := range points {
		if f := seq.f(x); f != 0 {
			t.Fatalf("F returned %v, not the placeholder 0", f)
		}
	}
	want, complete, err := seq.evaluate(3, levels)
	if err != nil || !complete {
		t.Fatal(err, complete)
	}
	wantSteps, wantEpisodes := seq.meter.EnvSteps, seq.meter.Episodes

	par := &esRun{ctx: t.Context(), p: p, workers: 2, meter: train.NewMeter(nil)}
	var wg sync.WaitGroup
	for i := len(points) - 1; i >= 0; i-- {
		wg.Go(func() { par.f(points[i]) })
	}
	wg.Wait()
	got, complete, err := par.evaluate(3, levels)
	if err != nil || !complete {
		t.Fatal(err, complete)
	}
	steps, episodes := par.meter.EnvSteps, par.meter.Episodes
	same := slices.EqualFunc(got, want, func(a, b esPoint) bool {
		return slices.Equal(a.x, b.x) && a.ret == b.ret
	})
	if !same || steps != wantSteps || episodes != wantEpisodes {
		t.Errorf("concurrent, reversed, 2 workers: %d steps, %d episodes, points differ: %v; want %d, %d",
			steps, episodes, !same, wantSteps, wantEpisodes)
	}
	if episodes != len(points)*len(levels) {
		t.Errorf("%d episodes, want %d", episodes, len(points)*len(levels))
	}
	if rest, _, _ := par.evaluate(3, levels); len(rest) != 0 {
		t.Errorf("evaluate kept %d points", len(rest))
	}
}
