// Package agents holds the policies that base optimizers train and the
// scripted references the analysis is validated against.
//
// Every trainable family is a policy over one flat []float64 parameter vector
// θ, so that evolution and gradient descent optimise exactly the same thing:
//
//   - reactive: the "plant", a linear softmax policy over the egocentric
//     window. No search.
//   - planner: the mesa-optimizer, with an explicit mesa objective
//     r_θ(cell) = θ·ψ(cell) over cell features, value iteration on the known
//     map and a Boltzmann policy over Q.
//   - mlp: a small neural policy on the egocentric window.
//
// Scripted agents (oracle-to-exit, to-colour, to-region, to-nearest-object,
// random walk, deceptive) have known objectives and need no training.
package agents

import (
	"math/rand/v2"

	"github.com/mesa-alignment/mesa/world"
)

// Probs is a distribution over the four actions, in world.Action order.
type Probs = [world.NumActions]float64

// A Policy chooses actions in an episode. A Policy is not safe for
// concurrent use: make one per goroutine (Family.Policy is cheap).
type Policy interface {
	// Reset starts a new episode: e is at its start. Policies that plan do
	// so here.
	Reset(e *world.Episode)
	// Probs writes the action distribution at the current state of e into
	// p. It reads e and must not retain or modify it.
	Probs(p *Probs, e *world.Episode)
}

// A Differentiable policy also gives the gradient of its log-probabilities
// with respect to its parameters, for REINFORCE.
type Differentiable interface {
	Policy
	// GradLogProb adds scale·∇θ log π(a | s) to grad, where s is the state
	// of the most recent Probs call. grad has length Family.Dim().
	GradLogProb(grad []float64, a world.Action, scale float64)
}

// An Entropic policy also gives the terms of its policy's entropy at the
// state of its most recent Probs call, which it may compute once per state:
// EntropyTerms writes −π(a|s)·log π(a|s) into h[a] for every action with
// 0 < π(a|s) ≤ 1, and 0 for the others, bit for bit as that expression
// evaluates.
type Entropic interface {
	EntropyTerms(h *Probs)
}

// A Family is a parameterised policy class. Its methods are safe for
// concurrent use.
type Family interface {
	// Name is the family's name as used in configs and data ("planner").
	Name() string
	// Dim returns the number of parameters.
	Dim() int
	// ParamNames returns a name for each parameter, for logging θ.
	ParamNames() []string
	// Init writes initial parameters drawn from rng into theta.
	Init(theta []float64, rng *rand.Rand)
	// Policy returns a policy with parameters theta. The policy aliases
	// theta: it reads it during Reset and Probs and never writes it; a
	// caller that changes theta must call Reset before the next Probs.
	Policy(theta []float64) Differentiable
}

// An Objective is implemented by families whose mesa objective is explicit
// in θ (the planner). Readout returns the weights by feature name,
// normalised to unit L1 norm, ready to log.
type Objective interface {
	Readout(theta []float64) []Weight
}

// A Weight is one term of a readable mesa objective.
type Weight struct {
	Feature string  `json:"feature"`
	Weight  float64 `json:"weight"`
}
