package agents

import (
	"context"
	"testing"

	"mesa/world"
)

// TestWithContext: a planner whose context is done stops its plan at
// once and acts uniformly, adding nothing to gradients; with a live
// context it plans exactly as without one; other families are untouched.
func TestWithContext(t *testing.T) {
	d, err := world.Preset("deploy")
	if err != nil {
		t.Fatal(err)
	}
	d.Width = world.IntRange{Min: 41, Max: 41}
	l, err := d.Level(7)
	if err != nil {
		t.Fatal(err)
	}
	theta := plannerBenchTheta()
	play := func(fam Family) (*plannerPolicy, Probs, []float64) {
		p := fam.Policy(theta).(*plannerPolicy)
		var e world.Episode
		e.Reset(l)
		p.Reset(&e)
		var probs Probs
		p.Probs(&probs, &e)
		grad := make([]float64, len(theta))
		p.GradLogProb(grad, world.Action(0), 1)
		return p, probs, grad
	}
	_, want, wantGrad := play(Planner{})
	live, probs, grad := play(WithContext(Planner{}, t.Context()))
	if probs != want || live.stopped || live.sweeps < interruptEvery {
		t.Errorf("live context: probs %v, want %v; stopped %v after %d sweeps", probs, want, live.stopped, live.sweeps)
	}
	for f := range grad {
		if grad[f] != wantGrad[f] {
			t.Fatalf("live context: gradient %v, want %v", grad, wantGrad)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dead, probs, grad := play(WithContext(Planner{}, ctx))
	if !dead.stopped || probs != uniformProbs {
		t.Errorf("done context: stopped %v, probs %v, want uniform", dead.stopped, probs)
	}
	for f := range grad {
		if grad[f] != 0 {
			t.Fatalf("done context: gradient %v, want nothing added", grad)
		}
	}
	if fam := WithContext(Reactive{}, ctx); fam != (Reactive{}) {
		t.Errorf("WithContext(Reactive) = %#v", fam)
	}
}
