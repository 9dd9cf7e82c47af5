package sgd

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/floats"

	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// TestGradientMatchesFiniteDifferences checks the REINFORCE estimate end to
// end: on the bend level, with a tabular policy whose expected return J(θ)
// is computed exactly by enumeration, the batch gradient over many episodes
// equals the finite-difference ∇J within Monte-Carlo error, whichever
// baseline is subtracted.
func TestGradientMatchesFiniteDifferences(t *testing.T) {
	fam := tabularFamily{cells: bend.Width * bend.Height}
	theta := make([]float64, fam.Dim())
	// A non-trivial θ: favour "right" in the start cell, "down" in the
	// cell above the exit, mildly discourage "left" everywhere.
	for c := range fam.cells {
		theta[4*c+int(world.Left)] = -0.3
	}
	theta[4*bend.Index(bend.Start)+int(world.Right)] = 0.8
	theta[4*bend.Index(world.Point{X: 3, Y: 1})+int(world.Down)] = 0.5
	theta[4*bend.Index(world.Point{X: 2, Y: 1})+int(world.Up)] = -0.4

	want := make([]float64, fam.Dim())
	fd.Gradient(want, func(x []float64) float64 { return exactReturn(fam, x, bend) }, theta, &fd.Settings{Formula: fd.Central})
	if floats.Norm(want, 2) < 0.05 {
		t.Fatalf("test problem too flat: |∇J| = %v", floats.Norm(want, 2))
	}

	const n = 20000
	levels := make([]*world.Level, n)
	for i := range levels {
		levels[i] = bend
	}
	tests := []struct {
		name     string
		baseline Baseline
		setup    func(r *run)
	}{
		{"none", BaselineNone, nil},
		{"batch_mean", BaselineBatchMean, nil},
		// A running mean after some updates is a constant for this batch,
		// here b = m/(1−0.9³) = 0.5.
		{"running_mean", BaselineRunningMean, func(r *run) { r.mean, r.updates = 0.5*(1-0.9*0.9*0.9), 3 }},
		{"value", BaselineValue, func(r *run) { r.w = [numFeatures]float64{0.2, 0.5, -0.1} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRun(&REINFORCE{BatchSize: n, Baseline: tc.baseline}, fam, 7, 2, theta)
			if tc.setup != nil {
				tc.setup(r)
			}
			if err := r.rollout(t.Context(), len(r.workers), 0, levels); err != nil {
				t.Fatal(err)
			}
			r.gradient()
			// Standard error of each component from the per-episode terms
			// (Rᵢ − bᵢ)·Gᵢ whose mean r.grad is.
			se := make([]float64, fam.Dim())
			for i := range r.eps {
				for j, g := range r.eps[i].grad {
					d := (r.eps[i].ret-r.base[i])*g - r.grad[j]
					se[j] += d * d
				}
			}
			for j := range se {
				se[j] = math.Sqrt(se[j]/float64(n-1)) / math.Sqrt(float64(n))
			}
			agree := func(g []float64) (worst float64, ok bool) {
				ok = true
				for j := range g {
					worst = max(worst, math.Abs(g[j]-want[j])/(se[j]+1e-9))
					ok = ok && math.Abs(g[j]-want[j]) <= 4*se[j]+1e-6
				}
				return worst, ok
			}
			worst, ok := agree(r.grad)
			if !ok {
				t.Errorf("REINFORCE gradient %.4f\ndoes not match finite differences %.4f\nwithin 4 standard errors %.4f", r.grad, want, se)
			}
			t.Logf("largest |error|/SE over %d components: %.2f; |∇J| = %.4f; mean SE %.5f", len(se), worst, floats.Norm(want, 2), floats.Sum(se)/float64(len(se)))
			// The check has power: a gradient biased by a factor 0.8 (what
			// a baseline correlated with the return would do) fails it.
			biased := append([]float64(nil), r.grad...)
			floats.Scale(0.8, biased)
			if _, ok := agree(biased); ok {
				t.Errorf("a gradient scaled by 0.8 passes the check: the test cannot fail")
			}
		})
	}
}

// TestEntropyGradient checks the entropy bonus term exactly: with the
// state-independent bias family every step has entropy H(softmax θ), so
// the batch's mean per-step entropy gradient must equal its derivative.
func TestEntropyGradient(t *testing.T) {
	fam := biasFamily{}
	theta := []float64{0.3, -0.5, 1.2, 0}
	h := func(x []float64) float64 {
		var p [world.NumActions]float64
		m := floats.Max(x)
		for a := range p {
			p[a] = math.Exp(x[a] - m)
		}
		s := floats.Sum(p[:])
		ent := 0.0
		for _, q := range p {
			ent -= q / s * math.Log(q/s)
		}
		return ent
	}
	want := make([]float64, 4)
	fd.Gradient(want, h, theta, &fd.Settings{Formula: fd.Central})

	const c = 0.7
	r := newRun(&REINFORCE{BatchSize: 8, Baseline: BaselineNone, EntropyBonus: c}, fam, 3, 1, theta)
	levels := make([]*world.Level, 8)
	for i := range levels {
		levels[i] = bend
	}
	if err := r.rollout(t.Context(), 1, 0, levels); err != nil {
		t.Fatal(err)
	}
	ent := r.gradient()
	if math.Abs(ent-h(theta)) > 1e-12 {
		t.Errorf("mean entropy %v, want %v", ent, h(theta))
	}
	// r.grad = (1/B)Σ Rᵢ Gᵢ + c·∇H: remove the REINFORCE term.
	got := append([]float64(nil), r.grad...)
	for i := range r.eps {
		floats.AddScaled(got, -r.eps[i].ret/float64(len(r.eps)), r.eps[i].grad)
	}
	floats.Scale(1/c, got)
	if !floats.EqualApprox(got, want, 1e-7) {
		t.Errorf("entropy gradient %v, finite differences %v", got, want)
	}
}

// TestWorkersDoNotChangeGradient is the unit-level determinism check: the
// batch gradient is bit-identical for 1, 2 and 5 workers.
func TestWorkersDoNotChangeGradient(t *testing.T) {
	gen, err := world.NewGenerator(trainDist(t))
	if err != nil {
		t.Fatal(err)
	}
	levels := train.Levels(gen, 11, "sgd-level", 0, 16)
	fam := biasFamily{}
	var ref []float64
	for _, w := range []int{1, 2, 5} {
		r := newRun(&REINFORCE{Baseline: BaselineBatchMean, EntropyBonus: 0.01}, fam, 11, w, nil)
		if err := r.rollout(t.Context(), len(r.workers), 0, levels); err != nil {
			t.Fatal(err)
		}
		r.gradient()
		if ref == nil {
			ref = append([]float64(nil), r.grad...)
			continue
		}
		for j := range ref {
			if math.Float64bits(ref[j]) != math.Float64bits(r.grad[j]) {
				t.Fatalf("workers %d: grad[%d] = %v, with 1 worker %v", w, j, r.grad[j], ref[j])
			}
		}
	}
}

func trainDist(t testing.TB) world.Distribution {
	d, err := world.Preset("train")
	if err != nil {
		t.Fatal(err)
	}
	return d
}
