package sgd

import (
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// Test-only differentiable families with exactly known gradients.

// biasFamily is a state-independent softmax over four action logits:
// π = softmax(θ), ∇θ log π(a) = e_a − π. If nan, GradLogProb adds NaN, to
// force divergence.
type biasFamily struct{ nan bool }

func (biasFamily) Name() string { return "bias" }
func (biasFamily) Dim() int     { return world.NumActions }
func (biasFamily) ParamNames() []string {
	return []string{"up", "right", "down", "left"}
}
func (biasFamily) Init(theta []float64, rng *rand.Rand) {
	for i := range theta {
		theta[i] = 0.1 * rng.NormFloat64()
	}
}
func (f biasFamily) Policy(theta []float64) agents.Differentiable {
	return &biasPolicy{theta: theta, nan: f.nan}
}

type biasPolicy struct {
	theta []float64
	p     agents.Probs
	nan   bool
}

func (p *biasPolicy) Reset(*world.Episode) {}
func (p *biasPolicy) Probs(dst *agents.Probs, _ *world.Episode) {
	agents.Softmax(&p.p, (*[world.NumActions]float64)(p.theta), 1)
	*dst = p.p
}
func (p *biasPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	for b := range grad {
		d := -p.p[b]
		if b == int(a) {
			d++
		}
		grad[b] += scale * d
	}
	if p.nan {
		grad[0] = math.NaN()
	}
}

// tabularFamily is a softmax policy with four logits per cell of a level of
// the given size: π(·|s) = softmax(θ[4s : 4s+4]).
type tabularFamily struct{ cells int }

func (tabularFamily) Name() string { return "tabular" }
func (f tabularFamily) Dim() int   { return f.cells * world.NumActions }
func (f tabularFamily) ParamNames() []string {
	n := make([]string, f.Dim())
	for i := range n {
		n[i] = "cell" + strconv.Itoa(i/world.NumActions) + "/" + world.Action(i%world.NumActions).String()
	}
	return n
}
func (tabularFamily) Init(theta []float64, _ *rand.Rand) { clear(theta) }
func (f tabularFamily) Policy(theta []float64) agents.Differentiable {
	return &tabularPolicy{theta: theta}
}

type tabularPolicy struct {
	theta []float64
	cell  int
	p     agents.Probs
}

func (p *tabularPolicy) Reset(*world.Episode) {}
func (p *tabularPolicy) Probs(dst *agents.Probs, e *world.Episode) {
	p.cell = e.Cell()
	agents.Softmax(&p.p, (*[world.NumActions]float64)(p.theta[4*p.cell:]), 1)
	*dst = p.p
}
func (p *tabularPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	for b := range world.NumActions {
		d := -p.p[b]
		if b == int(a) {
			d++
		}
		grad[4*p.cell+b] += scale * d
	}
}

// exactReturn is the expected base return of fam(theta) on l, by
// enumerating every action sequence (4^StepLimit of them at most).
func exactReturn(fam agents.Family, theta []float64, l *world.Level) float64 {
	pol := fam.Policy(theta)
	var e world.Episode
	var rec func(prefix []world.Action) float64
	rec = func(prefix []world.Action) float64 {
		e.Reset(l)
		pol.Reset(&e)
		prob := 1.0
		var p agents.Probs
		for _, a := range prefix {
			pol.Probs(&p, &e)
			prob *= p[a]
			e.Step(a)
		}
		if e.Done() {
			return prob * e.Return()
		}
		pol.Probs(&p, &e)
		sum := 0.0
		for a := range world.NumActions {
			if p[a] > 0 {
				sum += rec(append(prefix, world.Action(a)))
			}
		}
		return sum
	}
	return rec(nil)
}

func mustParse(text string) *world.Level {
	l, err := world.Parse([]byte(text))
	if err != nil {
		panic(err)
	}
	return l
}

// bend is a tiny level: the exit is three moves away (right, right, down)
// and the step limit is 5, so a uniform policy rarely gets there.
var bend = mustParse(`mesa-level v1 steps=5 cue=false seed=0 randomized=false
#####
#S..#
###G#
#####
`)

// newRolloutRand returns the action stream of episode i of update u.
func newRolloutRand(root uint64, u, i int) *rand.Rand {
	return seeds.New(root, "sgd-rollout", uint64(u), uint64(i))
}

// oracleFamily plays agents.Oracle, a shortest path to the exit, whatever
// θ (one unused parameter): its return on a level is a known function of
// the level, and its gradient is zero.
type oracleFamily struct{}

func (oracleFamily) Name() string               { return "oracle" }
func (oracleFamily) Dim() int                   { return 1 }
func (oracleFamily) ParamNames() []string       { return []string{"unused"} }
func (oracleFamily) Init([]float64, *rand.Rand) {}
func (oracleFamily) Policy([]float64) agents.Differentiable {
	return oraclePolicy{agents.Oracle(agents.Rationality{})}
}

type oraclePolicy struct{ agents.Policy }

func (oraclePolicy) GradLogProb([]float64, world.Action, float64) {}
