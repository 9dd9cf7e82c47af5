package agents

import (
	"context"
	"testing"

	"github.com/mesa-alignment/mesa/world"
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
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// The infinite horizon, and finite sweeps, which look at the context
	// every interruptEvery sweeps.
	for _, pl := range []Planner{{}, {Iterations: 4 * interruptEvery}} {
		_, want, wantGrad := play(pl)
		live, probs, grad := play(WithContext(pl, t.Context()))
		if probs != want || live.stopped || live.sweeps != pl.Iterations {
			t.Errorf("%+v, live context: probs %v, want %v; stopped %v after %d sweeps", pl, probs, want, live.stopped, live.sweeps)
		}
		for f := range grad {
			if grad[f] != wantGrad[f] {
				t.Fatalf("%+v, live context: gradient %v, want %v", pl, grad, wantGrad)
			}
		}
		dead, probs, grad := play(WithContext(pl, ctx))
		if !dead.stopped || probs != uniformProbs {
			t.Errorf("%+v, done context: stopped %v, probs %v, want uniform", pl, dead.stopped, probs)
		}
		for f := range grad {
			if grad[f] != 0 {
				t.Fatalf("%+v, done context: gradient %v, want nothing added", pl, grad)
			}
		}
	}
	if fam := WithContext(Reactive{}, ctx); fam != (Reactive{}) {
		t.Errorf("WithContext(Reactive) = %#v", fam)
	}
}
