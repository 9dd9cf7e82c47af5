package sgd

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/floats"
)

func TestOptimizerSteps(t *testing.T) {
	// Each case starts from params0 and applies the gradients in order;
	// want is the parameter vector after every step, computed by hand.
	tests := []struct {
		name    string
		opt     Optimizer
		params0 []float64
		grads   [][]float64
		want    [][]float64
	}{
		{"sgd", &SGD{LearningRate: 0.1}, []float64{1, 2},
			[][]float64{{0.5, -1}, {-2, 0}},
			[][]float64{{1.05, 1.9}, {0.85, 1.9}}},
		{"sgd/default", &SGD{}, []float64{0},
			[][]float64{{3}},
			[][]float64{{0.03}}},
		// v₁ = g₁ = (1, −2), θ₁ = 0.1·v₁; v₂ = 0.5·v₁ + (1, 1) = (1.5, 0),
		// θ₂ = θ₁ + 0.1·v₂; v₃ = 0.5·v₂ + 0 = (0.75, 0).
		{"momentum", &Momentum{LearningRate: 0.1, Momentum: 0.5}, []float64{0, 0},
			[][]float64{{1, -2}, {1, 1}, {0, 0}},
			[][]float64{{0.1, -0.2}, {0.25, -0.2}, {0.325, -0.2}}},
		// μ defaults to 0.9: v₂ = 0.9 + 1.
		{"momentum/default", &Momentum{LearningRate: 1}, []float64{0},
			[][]float64{{1}, {1}},
			[][]float64{{1}, {2.9}}},
		// Kingma & Ba, Algorithm 1, with η = 0.1, β = (0.9, 0.999),
		// ε = 1e-8, for g = 2, −1, 0.5:
		//   t=1: m = 0.2, v = 0.004; m̂ = 2, v̂ = 4; Δ = 0.1·2/(2+ε)
		//   t=2: m = 0.08, v = 0.004996; m̂ = 0.08/0.19, v̂ = 0.004996/0.001999;
		//        Δ = 0.1·0.4210526316/(1.5809015246+ε) = 0.0266337038
		//   t=3: m = 0.122, v = 0.005241004; m̂ = 0.122/0.271,
		//        v̂ = 0.005241004/0.002997001; Δ = 0.0340429146
		// The second component sees −g: Adam is odd in g.
		{"adam", &Adam{LearningRate: 0.1}, []float64{0, 0},
			[][]float64{{2, -2}, {-1, 1}, {0.5, -0.5}},
			[][]float64{
				{0.1 * 2 / (2 + 1e-8), -0.1 * 2 / (2 + 1e-8)},
				{0.12663370329756846, -0.12663370329756846},
				{0.16067661786105733, -0.16067661786105733}}},
		// Defaults: η = 0.001; the first step moves by η·sign(g).
		{"adam/default", &Adam{}, []float64{5, 5},
			[][]float64{{1e-3, -40}},
			[][]float64{{5 + 0.001*1e-3/(1e-3+1e-8), 5 - 0.001*40/(40+1e-8)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			params := append([]float64(nil), tc.params0...)
			for k, g := range tc.grads {
				gc := append([]float64(nil), g...)
				tc.opt.Step(params, g)
				if !floats.EqualApprox(params, tc.want[k], 1e-9) {
					t.Errorf("step %d: params %v, want %v", k+1, params, tc.want[k])
				}
				if !floats.Equal(g, gc) {
					t.Errorf("step %d modified grad", k+1)
				}
			}
			if !tc.opt.Finite() {
				t.Errorf("state not finite")
			}
			// A clone starts afresh: its first step equals the first step
			// of the original.
			c := tc.opt.Clone()
			params = append([]float64(nil), tc.params0...)
			c.Step(params, tc.grads[0])
			if !floats.EqualApprox(params, tc.want[0], 1e-9) {
				t.Errorf("clone's first step gives %v, want %v", params, tc.want[0])
			}
		})
	}
}

// TestAdamPaperForm checks Adam against the paper's "efficient" ordering
// (end of Section 2): αₜ = η·√(1−β2ᵗ)/(1−β1ᵗ), θ ← θ + αₜ·m/(√v + ε̂),
// which is the same update with ε̂ = ε·√(1−β2ᵗ).
func TestAdamPaperForm(t *testing.T) {
	const eta, b1, b2, eps = 0.05, 0.8, 0.99, 1e-6
	opt := &Adam{LearningRate: eta, Beta1: b1, Beta2: b2, Epsilon: eps}
	grads := [][]float64{{1, -3, 0.2}, {0.5, 2, -0.1}, {-4, 0.1, 0}, {0, 0, 7}, {1e-3, -1e-3, 1}}
	got := []float64{1, 0, -1}
	want := append([]float64(nil), got...)
	m, v := make([]float64, 3), make([]float64, 3)
	for k, g := range grads {
		opt.Step(got, g)
		tt := float64(k + 1)
		alpha := eta * math.Sqrt(1-math.Pow(b2, tt)) / (1 - math.Pow(b1, tt))
		epsHat := eps * math.Sqrt(1-math.Pow(b2, tt))
		for i := range g {
			m[i] = b1*m[i] + (1-b1)*g[i]
			v[i] = b2*v[i] + (1-b2)*g[i]*g[i]
			want[i] += alpha * m[i] / (math.Sqrt(v[i]) + epsHat)
		}
		if !floats.EqualApprox(got, want, 1e-12) {
			t.Fatalf("step %d: %v, paper form %v", k+1, got, want)
		}
	}
}

func TestOptimizerRates(t *testing.T) {
	tests := []struct {
		opt  Optimizer
		want float64
	}{
		{&SGD{}, DefaultSGDRate},
		{&SGD{LearningRate: 0.3}, 0.3},
		{&Momentum{}, DefaultMomentumRate},
		{&Adam{}, DefaultAdamRate},
		{&Adam{LearningRate: 2}, 2},
	}
	for _, tc := range tests {
		if got := tc.opt.Rate(); got != tc.want {
			t.Errorf("%T%+v.Rate() = %v, want %v", tc.opt, tc.opt, got, tc.want)
		}
	}
}

func TestOptimizerFinite(t *testing.T) {
	for _, opt := range []Optimizer{&Momentum{}, &Adam{}} {
		p := []float64{0}
		opt.Step(p, []float64{math.Inf(1)})
		if opt.Finite() {
			t.Errorf("%T: Finite after an infinite gradient", opt)
		}
	}
}

func TestOptimizerValidate(t *testing.T) {
	tests := []struct {
		opt  interface{ Validate() error }
		want string // "" for valid
	}{
		{&SGD{}, ""},
		{&SGD{LearningRate: -1}, "sgd: learning rate -1"},
		{&SGD{LearningRate: math.Inf(1)}, "sgd: learning rate +Inf"},
		{&Momentum{Momentum: 0.5}, ""},
		{&Momentum{Momentum: 1}, "momentum: momentum 1 out of range"},
		{&Momentum{LearningRate: math.NaN()}, "momentum: learning rate NaN"},
		{&Adam{}, ""},
		{&Adam{Beta1: 1}, "adam: beta1 1 out of range"},
		{&Adam{Beta2: -0.1}, "adam: beta2 -0.1 out of range"},
		{&Adam{Epsilon: -1}, "adam: epsilon -1"},
	}
	for _, tc := range tests {
		err := tc.opt.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tc.opt, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want one containing %q", tc.opt, err, tc.want)
		}
	}
}
