package agents_test

import (
	"math"
	"slices"
	"testing"

	"mesa/agents"
	"mesa/agents/agentstest"
	"mesa/seeds"
	"mesa/world"
)

var mlpFamilies = []struct {
	name string
	fam  agents.MLP
}{
	{"zero", agents.MLP{}},
	{"small noisy", agents.MLP{Hidden: 3, Window: world.Window{Radius: 1, Noise: world.Noise{Wall: 0.2, Position: 0.1}}}},
}

func TestMLPConformance(t *testing.T) {
	levels := trainAndDeploy(t, 2)
	for _, tt := range mlpFamilies {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := agentstest.TestFamily(tt.fam, levels, 1); err != nil {
				t.Error(err)
			}
			// One train and one deploy level: every finite difference
			// of the default MLP's 5332 parameters replays a prefix.
			if err := agentstest.CheckGradients(tt.fam, []*world.Level{levels[0], levels[len(levels)-1]}, 2, 1e-5); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestMLPParamNames(t *testing.T) {
	fam := agents.MLP{}
	in := 25*world.CellChannels + world.NumGlobals
	h := agents.DefaultHidden
	if got, want := fam.Dim(), (in+1)*h+(h+1)*4; got != want {
		t.Errorf("Dim() = %d, want %d", got, want)
	}
	names := fam.ParamNames()
	for _, tt := range []struct {
		name string
		at   int
	}{
		{"h0.in[dy=-2,dx=-2,wall]", 0},
		{"h1.in[dy=-2,dx=-2,wall]", 1},
		{"h3.in[dy=-1,dx=0,colour_green]", ((1*5+2)*world.CellChannels+world.ChanColour)*h + 3},
		{"h15.in[cue]", (in-1)*h + 15},
		{"h0.b", in * h},
		{"out[h0→up]", (in + 1) * h},
		{"out[h15→left]", (in+1)*h + 15*4 + 3},
		{"b[up]", (in+1)*h + h*4},
	} {
		if i := slices.Index(names, tt.name); i != tt.at {
			t.Errorf("%q at index %d, want %d", tt.name, i, tt.at)
		}
	}
}

// TestMLPMatchesDense compares the forward pass with the dense definition
// softmax(b2 + W2ᵀ·tanh(b1 + W1ᵀ·x)).
func TestMLPMatchesDense(t *testing.T) {
	fam := agents.MLP{Hidden: 5}
	w := world.Window{Radius: agents.DefaultRadius}
	in, h := w.Len(), 5
	theta := make([]float64, fam.Dim())
	fam.Init(theta, seeds.New(1, "mlp-dense"))
	for i := in * h; i < (in+1)*h; i++ { // non-zero hidden biases
		theta[i] = 0.1 * float64(i%3-1)
	}
	p := fam.Policy(theta)
	obs := make([]float64, in)
	for i, l := range trainAndDeploy(t, 2) {
		e := world.NewEpisode(l)
		p.Reset(e)
		rng := seeds.New(2, "mlp-dense", uint64(i))
		for !e.Done() {
			var got, want agents.Probs
			p.Probs(&got, e)
			w.Observe(obs, e, nil)
			var q [world.NumActions]float64
			copy(q[:], theta[len(theta)-4:])
			for j := range h {
				pre := theta[in*h+j]
				for k, x := range obs {
					pre += x * theta[k*h+j]
				}
				for b := range q {
					q[b] += math.Tanh(pre) * theta[(in+1)*h+4*j+b]
				}
			}
			agents.Softmax(&want, &q, 1)
			for b := range got {
				if math.Abs(got[b]-want[b]) > 1e-12 {
					t.Fatalf("level %d step %d: Probs %v, dense %v", i, e.Steps(), got, want)
				}
			}
			e.Step(agents.Sample(&got, rng))
		}
	}
}

func TestMLPInit(t *testing.T) {
	// Init gives a policy that is neither uniform nor saturated.
	fam := agents.MLP{}
	theta := make([]float64, fam.Dim())
	fam.Init(theta, seeds.New(3, "mlp-init"))
	p := fam.Policy(theta)
	var r agents.Runner
	var tr agents.Trajectory
	r.Trajectory = &tr
	sumMax, n := 0.0, 0
	for i, l := range trainAndDeploy(t, 3) {
		r.Run(p, l, seeds.New(4, "mlp-init", uint64(i)))
		e := world.NewEpisode(l)
		p.Reset(e)
		for _, a := range tr.Actions {
			var probs agents.Probs
			p.Probs(&probs, e)
			sumMax += probs[agents.Argmax(&probs)]
			n++
			e.Step(a)
		}
	}
	if m := sumMax / float64(n); m < 0.3 || m > 0.8 {
		t.Errorf("mean largest action probability %.3f at Init, want within [0.3, 0.8]", m)
	}
}

func TestMLPNoAllocs(t *testing.T) {
	levels := trainAndDeploy(t, 2)
	for _, tt := range mlpFamilies {
		theta := make([]float64, tt.fam.Dim())
		tt.fam.Init(theta, seeds.New(1, "allocs"))
		testNoAllocs(t, tt.name, tt.fam.Policy(theta), len(theta), levels)
	}
}

func TestMLPValidate(t *testing.T) {
	tests := []struct {
		fam agents.MLP
		ok  bool
	}{
		{agents.MLP{}, true},
		{agents.MLP{Hidden: agents.MaxHidden}, true},
		{agents.MLP{Hidden: -1}, false},
		{agents.MLP{Hidden: agents.MaxHidden + 1}, false},
		{agents.MLP{Window: world.Window{Radius: -2}}, false},
	}
	for _, tt := range tests {
		if err := tt.fam.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: Validate() = %v, want ok %t", tt.fam, err, tt.ok)
		}
	}
}
