package sgd

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"

	"github.com/mesa-alignment/mesa/train"
)

// An Optimizer turns gradients into parameter updates. Optimizers ascend:
// they maximise, so a positive gradient component increases that parameter
// (REINFORCE climbs the expected return).
//
// An Optimizer keeps state between steps (velocity, moment estimates) for
// one parameter vector: it is not safe for concurrent use, and Clone gives
// an independent copy for another run.
type Optimizer interface {
	// Step adds the update for gradient grad to params. It reads grad and
	// does not modify or retain it; params and grad must not alias, and
	// must have the same length on every call (Step panics otherwise, as
	// gonum/floats does: it is a programming error).
	Step(params, grad []float64)
	// Rate returns the learning rate in effect, defaults resolved.
	Rate() float64
	// Finite reports whether the internal state holds no NaN or Inf.
	Finite() bool
	// Clone returns an optimizer with the same settings and no state.
	Clone() Optimizer
}

// Defaults of the optimizers' zero values. Adam's are those of Kingma & Ba
// (2015).
const (
	DefaultSGDRate      = 0.01
	DefaultMomentumRate = 0.01
	DefaultMomentum     = 0.9
	DefaultAdamRate     = 0.001
	DefaultBeta1        = 0.9
	DefaultBeta2        = 0.999
	DefaultEpsilon      = 1e-8
)

var (
	_ Optimizer = (*SGD)(nil)
	_ Optimizer = (*Momentum)(nil)
	_ Optimizer = (*Adam)(nil)
)

// SGD is plain gradient ascent: params ← params + η·grad.
type SGD struct {
	// LearningRate η; 0 means DefaultSGDRate.
	LearningRate float64
}

// Validate reports whether the settings are usable.
func (o *SGD) Validate() error { return checkRate("sgd", o.LearningRate) }

// Rate returns η.
func (o *SGD) Rate() float64 { return orDefault(o.LearningRate, DefaultSGDRate) }

// Step adds η·grad to params.
func (o *SGD) Step(params, grad []float64) { floats.AddScaled(params, o.Rate(), grad) }

// Finite reports true: SGD has no state.
func (o *SGD) Finite() bool { return true }

// Clone returns a copy of o.
func (o *SGD) Clone() Optimizer { c := *o; return &c }

// Momentum is heavy-ball gradient ascent, in the convention of PyTorch's
// SGD without dampening: v ← μ·v + grad, params ← params + η·v, with v
// starting at zero.
type Momentum struct {
	// LearningRate η; 0 means DefaultMomentumRate.
	LearningRate float64
	// Momentum μ in [0, 1); 0 means DefaultMomentum (use SGD for μ = 0).
	Momentum float64

	v []float64
}

// Validate reports whether the settings are usable.
func (o *Momentum) Validate() error {
	if err := checkRate("momentum", o.LearningRate); err != nil {
		return err
	}
	return checkUnit("momentum: momentum", o.Momentum)
}

// Rate returns η.
func (o *Momentum) Rate() float64 { return orDefault(o.LearningRate, DefaultMomentumRate) }

// Step updates the velocity with grad and adds η·v to params.
func (o *Momentum) Step(params, grad []float64) {
	if len(grad) != len(params) {
		panic("sgd: params and grad have different lengths")
	}
	if o.v == nil {
		o.v = make([]float64, len(params))
	}
	floats.Scale(orDefault(o.Momentum, DefaultMomentum), o.v)
	floats.Add(o.v, grad)
	floats.AddScaled(params, o.Rate(), o.v)
}

// Finite reports whether the velocity is finite.
func (o *Momentum) Finite() bool { return train.Finite(o.v) }

// Clone returns a copy of o's settings with zero velocity.
func (o *Momentum) Clone() Optimizer {
	return &Momentum{LearningRate: o.LearningRate, Momentum: o.Momentum}
}

// Adam is the bias-corrected adaptive-moment method of Kingma & Ba (2015,
// Algorithm 1), ascending: at step t (from 1)
//
//	m ← β1·m + (1−β1)·g
//	v ← β2·v + (1−β2)·g²
//	params ← params + η·m̂ / (√v̂ + ε),  m̂ = m/(1−β1ᵗ), v̂ = v/(1−β2ᵗ)
//
// with m and v starting at zero.
type Adam struct {
	// LearningRate η; 0 means DefaultAdamRate.
	LearningRate float64
	// Beta1 and Beta2 in [0, 1) are the decay rates of the moment
	// estimates; 0 means DefaultBeta1 and DefaultBeta2.
	Beta1, Beta2 float64
	// Epsilon ε > 0 guards the division; 0 means DefaultEpsilon.
	Epsilon float64

	m, v []float64
	t    int
}

// Validate reports whether the settings are usable.
func (o *Adam) Validate() error {
	if err := checkRate("adam", o.LearningRate); err != nil {
		return err
	}
	if err := checkUnit("adam: beta1", o.Beta1); err != nil {
		return err
	}
	if err := checkUnit("adam: beta2", o.Beta2); err != nil {
		return err
	}
	if !(o.Epsilon >= 0) || math.IsInf(o.Epsilon, 0) {
		return fmt.Errorf("adam: epsilon %v must be finite and >= 0", o.Epsilon)
	}
	return nil
}

// Rate returns η.
func (o *Adam) Rate() float64 { return orDefault(o.LearningRate, DefaultAdamRate) }

// Step updates the moment estimates with grad and moves params.
func (o *Adam) Step(params, grad []float64) {
	if len(grad) != len(params) {
		panic("sgd: params and grad have different lengths")
	}
	if o.m == nil {
		o.m, o.v = make([]float64, len(params)), make([]float64, len(params))
	}
	if len(o.m) != len(params) {
		panic("sgd: parameter count changed between Adam steps")
	}
	b1, b2 := orDefault(o.Beta1, DefaultBeta1), orDefault(o.Beta2, DefaultBeta2)
	eps, eta := orDefault(o.Epsilon, DefaultEpsilon), o.Rate()
	o.t++
	c1, c2 := 1-math.Pow(b1, float64(o.t)), 1-math.Pow(b2, float64(o.t))
	for i, g := range grad {
		o.m[i] = b1*o.m[i] + (1-b1)*g
		o.v[i] = b2*o.v[i] + (1-b2)*g*g
		params[i] += eta * (o.m[i] / c1) / (math.Sqrt(o.v[i]/c2) + eps)
	}
}

// Finite reports whether the moment estimates are finite.
func (o *Adam) Finite() bool { return train.Finite(o.m) && train.Finite(o.v) }

// Clone returns a copy of o's settings with fresh moment estimates.
func (o *Adam) Clone() Optimizer {
	return &Adam{LearningRate: o.LearningRate, Beta1: o.Beta1, Beta2: o.Beta2, Epsilon: o.Epsilon}
}

func orDefault(x, def float64) float64 {
	if x == 0 {
		return def
	}
	return x
}

func checkRate(name string, r float64) error {
	if !(r >= 0) || math.IsInf(r, 0) {
		return fmt.Errorf("%s: learning rate %v must be finite and >= 0", name, r)
	}
	return nil
}

func checkUnit(name string, x float64) error {
	if !(x >= 0 && x < 1) {
		return fmt.Errorf("%s %v out of range [0, 1)", name, x)
	}
	return nil
}
