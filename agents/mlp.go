package agents

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"

	"github.com/mesa-alignment/mesa/world"
)

// DefaultHidden is the hidden width of an MLP whose Hidden is 0.
const DefaultHidden = 16

// MaxHidden bounds the hidden width.
const MaxHidden = 1024

// MLP is a small neural policy on the egocentric window: like Reactive it
// scores each action by what lies in its direction, with a tanh hidden layer
// of width Hidden (0 means DefaultHidden) in place of the linear score. In
// the frame of action a (see Reactive), with x_a the window seen from that
// frame, the logit of a is
//
//	q_a = Σ_j v_j·tanh(b1_j + Σ_i W1[i][j]·x_a[i]) + Σ_g u[g, a]·x_g + b_a
//
// with W1, b1 and v shared by the four actions and the globals (position,
// training cue) entering linearly, per action. It has no memory beyond the
// window's visited and visits channels; the zero value is usable and Window
// has the same defaults and noise rules as Reactive's. A step costs four
// hidden-layer passes, one per action. With one hidden layer on the
// unrotated window and per-action outputs instead (the policy's earlier
// form), REINFORCE reached 47-66% success on the "train" preset within 4M
// env steps; shared, it reaches the rates in the issue 8 report.
//
// θ holds, in order: W1 feature-major (θ[i*H+j] weighs window feature i, in
// the order of Reactive's window weights, into hidden unit j), the H hidden
// biases b1, the H output weights v, the global weights u feature-major
// (θ[o+g*4+a]) and the four output biases.
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

// shape returns the number of window features (the hidden layer's inputs)
// and the hidden width.
func (m MLP) shape() (in, hidden int) {
	hidden = m.Hidden
	if hidden <= 0 {
		hidden = DefaultHidden
	}
	return windowWeights(resolveWindow(m.Window)), hidden
}

// Dim returns (window features + 2)·H + 4·(world.NumGlobals + 1), the window
// features being (2·radius+1)²·world.CellChannels.
func (m MLP) Dim() int {
	in, h := m.shape()
	return mlpLayout(in, h).nd
}

// ParamNames names input weights "h3.in[ahead=1,right=0,wall]" (see
// Reactive.ParamNames for the frame), hidden biases "h3.b", output weights
// "out[h3]", global weights "w[cue→left]" and output biases "b[up]".
func (m MLP) ParamNames() []string {
	_, h := m.shape()
	feats := relativeFeatureNames(resolveWindow(m.Window))
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
		names = append(names, "out["+unit[j]+"]")
	}
	for _, g := range globalNames {
		for a := range world.NumActions {
			names = append(names, "w["+g+"→"+world.Action(a).String()+"]")
		}
	}
	for a := range world.NumActions {
		names = append(names, "b["+world.Action(a).String()+"]")
	}
	return names
}

// Init draws input weights from N(0, 1/(window cells)) — about one channel
// per window cell is active, so hidden pre-activations start with about unit
// variance, in tanh's responsive range — and output weights from N(0, 1/H).
// Biases and global weights start at 0.
func (m MLP) Init(theta []float64, rng *rand.Rand) {
	in, h := m.shape()
	checkDim("mlp", theta, m.Dim())
	s := 2*resolveWindow(m.Window).Radius + 1
	sdIn := 1 / math.Sqrt(float64(s*s))
	sdOut := 1 / math.Sqrt(float64(h))
	l := mlpLayout(in, h)
	for i := range theta[:l.b1] {
		theta[i] = sdIn * rng.NormFloat64()
	}
	clear(theta[l.b1:l.v])
	for i := l.v; i < l.u; i++ {
		theta[i] = sdOut * rng.NormFloat64()
	}
	clear(theta[l.u:])
}

// Policy returns an MLP policy over theta, which it aliases (see Family).
// It panics if len(theta) != Dim().
func (m MLP) Policy(theta []float64) Differentiable {
	in, h := m.shape()
	checkDim("mlp", theta, m.Dim())
	w := resolveWindow(m.Window)
	return &mlpPolicy{theta: theta, l: mlpLayout(in, h), obs: newSparseObs(w), tab: actionTable(w),
		hid: make([]float64, world.NumActions*h), dh: make([]float64, h)}
}

// layout gives the offsets of the parts of an MLP's θ.
type layout struct {
	in, h            int
	b1, v, u, b2, nd int
}

func mlpLayout(in, h int) layout {
	b1 := in * h
	v := b1 + h
	u := v + h
	b2 := u + world.NumGlobals*world.NumActions
	return layout{in: in, h: h, b1: b1, v: v, u: u, b2: b2, nd: b2 + world.NumActions}
}

type mlpPolicy struct {
	theta []float64
	l     layout
	obs   sparseObs
	tab   [][world.NumActions]int32 // see actionTable: window weight index per action, or global weight index
	hid   []float64                 // tanh activations of the last Probs call, action-major (4 rows of H)
	dh    []float64                 // scratch for GradLogProb
	probs Probs
}

func (p *mlpPolicy) Reset(*world.Episode) {}

func (p *mlpPolicy) Probs(out *Probs, e *world.Episode) {
	p.obs.observe(e)
	th, l := p.theta, p.l
	b := th[l.b2:l.nd]
	var q [world.NumActions]float64
	q[0], q[1], q[2], q[3] = b[0], b[1], b[2], b[3]
	for a := range world.NumActions {
		copy(p.hid[a*l.h:(a+1)*l.h], th[l.b1:l.v])
	}
	for k, i := range p.obs.idx {
		v := p.obs.val[k]
		t := &p.tab[i]
		if int(i) >= l.in {
			// A global: the tab entry is its weight in the globals
			// block of a Reactive θ; here that block starts at l.u.
			g := th[l.u+int(t[0])-l.in:]
			q[0] += v * g[0]
			q[1] += v * g[1]
			q[2] += v * g[2]
			q[3] += v * g[3]
			continue
		}
		for a := range world.NumActions {
			row := th[int(t[a])*l.h : int(t[a])*l.h+l.h]
			hid := p.hid[a*l.h : (a+1)*l.h]
			for j, w := range row {
				hid[j] += v * w
			}
		}
	}
	w2 := th[l.v:l.u]
	for a := range world.NumActions {
		hid := p.hid[a*l.h : (a+1)*l.h]
		s := 0.0
		for j := range hid {
			h := math.Tanh(hid[j])
			hid[j] = h
			s += h * w2[j]
		}
		q[a] += s
	}
	Softmax(&p.probs, &q, 1)
	*out = p.probs
}

// GradLogProb backpropagates δ_b = scale·([a = b] − π(b)) from each logit:
// the output weights get h_b,j·δ_b, the hidden units of action b
// δh_j = (1 − h_b,j²)·v_j·δ_b, the input weights that action b read x_i·δh_j,
// summed over the actions; global weights and biases get x_g·δ_b and δ_b.
func (p *mlpPolicy) GradLogProb(grad []float64, a world.Action, scale float64) {
	th, l := p.theta, p.l
	var d [world.NumActions]float64
	for b := range d {
		d[b] = -scale * p.probs[b]
	}
	d[a&3] += scale
	w2 := th[l.v:l.u]
	g2 := grad[l.v:l.u]
	gb1 := grad[l.b1:l.v]
	for b := range world.NumActions {
		hid := p.hid[b*l.h : (b+1)*l.h]
		for j, h := range hid {
			g2[j] += h * d[b]
			dh := (1 - h*h) * w2[j] * d[b]
			p.dh[j] = dh
			gb1[j] += dh
		}
		for k, i := range p.obs.idx {
			if int(i) >= l.in {
				continue
			}
			v := p.obs.val[k]
			t := int(p.tab[i][b])
			g := grad[t*l.h : t*l.h+l.h]
			for j, dh := range p.dh {
				g[j] += v * dh
			}
		}
	}
	for k, i := range p.obs.idx {
		if int(i) < l.in {
			continue
		}
		v := p.obs.val[k]
		g := grad[l.u+int(p.tab[i][0])-l.in:]
		g[0] += v * d[0]
		g[1] += v * d[1]
		g[2] += v * d[2]
		g[3] += v * d[3]
	}
	gb := grad[l.b2:l.nd]
	for b := range gb {
		gb[b] += d[b]
	}
}
