package agents

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"mesa/world"
)

// DefaultHidden is the hidden width of an MLP whose Hidden is 0.
const DefaultHidden = 16

// MaxHidden bounds the hidden width.
const MaxHidden = 1024

// MLP is a small neural policy on the egocentric window: one tanh hidden
// layer of width Hidden (0 means DefaultHidden) and a softmax output. Like
// Reactive it has no memory beyond the window's visited channel; the zero
// value is usable and Window has the same defaults and noise rules as
// Reactive's.
//
// θ holds, in order: the input weights feature-major (θ[i*H+j] weighs
// observation feature i into hidden unit j), the H hidden biases, the output
// weights hidden-major (H rows of four actions) and the four output biases.
type MLP struct {
	Window world.Window `yaml:"window" json:"window"`
	Hidden int          `yaml:"hidden,omitempty" json:"hidden,omitempty"`
}

var _ Family = MLP{}

// Validate reports a window radius or hidden width out of range, or invalid
// noise.
func (m MLP) Validate() error {
	if m.Hidden < 0 || m.Hidden > MaxHidden {
		return fmt.Errorf("mlp.hidden: %d out of range [0, %d] (0 means %d)", m.Hidden, MaxHidden, DefaultHidden)
	}
	return validateWindow("mlp.window", m.Window)
}

// Name returns "mlp".
func (MLP) Name() string { return "mlp" }

func (m MLP) shape() (in, hidden int) {
	hidden = m.Hidden
	if hidden <= 0 {
		hidden = DefaultHidden
	}
	return resolveWindow(m.Window).Len(), hidden
}

// Dim returns (window length + 1)·H + (H + 1)·4.
func (m MLP) Dim() int {
	in, h := m.shape()
	return (in+1)*h + (h+1)*world.NumActions
}

// ParamNames names input weights "h3.in[dy=-1,dx=0,wall]", hidden biases
// "h3.b", output weights "out[h3→up]" and output biases "b[up]".
func (m MLP) ParamNames() []string {
	_, h := m.shape()
	feats := windowFeatureNames(resolveWindow(m.Window))
	unit := make([]string, h)
	for j := range unit {
		unit[j] = "h" + strconv.Itoa(j)
	}
	names := make([]string, 0, m.Dim())
	for _, f := range feats {
		for j := range h {
			names = append(names, unit[j]+".in["+f+"]")
		}
	}
	for j := range h {
		names = append(names, unit[j]+".b")
	}
	for j := range h {
		for a := range world.NumActions {
			names = append(names, "out["+unit[j]+"→"+world.Action(a).String()+"]")
		}
	}
	for a := range world.NumActions {
		names = append(names, "b["+world.Action(a).String()+"]")
	}
	return names
}

// Init draws input weights from N(0, 1/(window cells + globals)) — about one
// channel per window cell is active, so hidden pre-activations start with
// about unit variance, in tanh's responsive range — and output weights from
// N(0, 1/H). Biases start at 0.
func (m MLP) Init(theta []float64, rng *rand.Rand) {
	in, h := m.shape()
	checkDim("mlp", theta, m.Dim())
	s := 2*resolveWindow(m.Window).Radius + 1
	sdIn := 1 / math.Sqrt(float64(s*s+world.NumGlobals))
	sdOut := 1 / math.Sqrt(float64(h))
	l := mlpLayout(in, h)
	for i := range theta[:l.b1] {
		theta[i] = sdIn * rng.NormFloat64()
	}
	clear(theta[l.b1:l.w2])
	for i := l.w2; i < l.b2; i++ {
		theta[i] = sdOut * rng.NormFloat64()
	}
	clear(theta[l.b2:])
}

// Policy returns an MLP policy over theta, which it aliases (see Family).
// It panics if len(theta) != Dim().
func (m MLP) Policy(theta []float64) Differentiable {
	in, h := m.shape()
	checkDim("mlp", theta, m.Dim())
	return &mlpPolicy{theta: theta, l: mlpLayout(in, h), obs: newSparseObs(resolveWindow(m.Window)),
		hid: make([]float64, h), dh: make([]float64, h)}
}

// layout gives the offsets of the parts of an MLP's θ.
type layout struct {
	h              int
	b1, w2, b2, nd int
}

func mlpLayout(in, h int) layout {
	b1 := in * h
	w2 := b1 + h
	b2 := w2 + h*world.NumActions
	return layout{h: h, b1: b1, w2: w2, b2: b2, nd: b2 + world.NumActions}
}

type mlpPolicy struct {
	theta []float64
	l     layout
	obs   sparseObs
	hid   []float64 // tanh activations of the last Probs call
	dh    []float64 // scratch for GradLogProb
	probs Probs
}

func (p *mlpPolicy) Reset(*world.Episode) {}

func (p *mlpPolicy) Probs(out *Probs, e *world.Episode) {
	p.obs.observe(e)
	th, l := p.theta, p.l
	hid := p.hid
	copy(hid, th[l.b1:l.w2])
	for k, i := range p.obs.idx {
		v := p.obs.val[k]
		row := th[int(i)*l.h : int(i)*l.h+l.h]
		for j, w := range row {
			hid[j] += v * w
		}
	}
	b := th[l.b2:l.nd]
	var q [world.NumActions]float64
	q[0], q[1], q[2], q[3] = b[0], b[1], b[2], b[3]
	w2 := th[l.w2:l.b2]
	for j := range hid {
		h := math.Tanh(hid[j])
		hid[j] = h
		w := w2[j*world.NumActions : j*world.NumActions+world.NumActions]
		q[0] += h * w[0]
		q[1] += h * w[1]
		q[2] += h * w[2]
		q[3] += h * w[3]
	}
	Softmax(&p.probs, &q, 1)
	*out = p.probs
}

// GradLogProb backpropagates δ = scale·([a = b] − π(b)) from the logits:
// output weights get h_j·δ_b, hidden units δh_j = (1 − h_j²)·Σ_b W2[j][b]·δ_b,
// input weights x_i·δh_j.
func (p *mlpPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	th, l := p.theta, p.l
	var d [world.NumActions]float64
	for b := range d {
		d[b] = -scale * p.probs[b]
	}
	d[a&3] += scale
	w2 := th[l.w2:l.b2]
	g2 := grad[l.w2:l.b2]
	gb1 := grad[l.b1:l.w2]
	for j, h := range p.hid {
		w := w2[j*world.NumActions : j*world.NumActions+world.NumActions]
		g := g2[j*world.NumActions : j*world.NumActions+world.NumActions]
		g[0] += h * d[0]
		g[1] += h * d[1]
		g[2] += h * d[2]
		g[3] += h * d[3]
		dh := (1 - h*h) * (w[0]*d[0] + w[1]*d[1] + w[2]*d[2] + w[3]*d[3])
		p.dh[j] = dh
		gb1[j] += dh
	}
	for k, i := range p.obs.idx {
		v := p.obs.val[k]
		g := grad[int(i)*l.h : int(i)*l.h+l.h]
		for j, dh := range p.dh {
			g[j] += v * dh
		}
	}
	gb := grad[l.b2:l.nd]
	for b := range gb {
		gb[b] += d[b]
	}
}
