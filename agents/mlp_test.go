package agents_test

import (
	"math"
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/agents/agentstest"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
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
			// of the default MLP's 5248 parameters replays a prefix.
			if err := agentstest.CheckGradients(tt.fam, []*world.Level{levels[0], levels[len(levels)-1]}, 2, 1e-5); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestMLPParamNames(t *testing.T) {
	fam := agents.MLP{}
	in := 25 * world.CellChannels
	h := agents.DefaultHidden
	if got, want := fam.Dim(), (in+2)*h+4*(world.NumGlobals+1); got != want {
		t.Errorf("Dim() = %d, want %d", got, want)
	}
	names := fam.ParamNames()
	if len(names) != fam.Dim() {
		t.Fatalf("%d names for %d parameters", len(names), fam.Dim())
	}
	for _, tt := range []struct {
		name string
		at   int
	}{
		{"h0.in[ahead=2,right=-2,wall]", 0},
		{"h1.in[ahead=2,right=-2,wall]", 1},
		// ahead=1 is the second row, right=0 its middle cell.
		{"h3.in[ahead=1,right=0,colour_green]", ((1*5+2)*world.CellChannels+world.ChanColour+int(world.Green))*h + 3},
		{"h15.in[ahead=-2,right=2,kind_apple]", (in-1)*h + 15},
		{"h0.b", in * h},
		{"out[h0]", (in + 1) * h},
		{"out[h15]", (in+2)*h - 1},
		{"w[x→up]", (in + 2) * h},
		{"w[cue→left]", (in+2)*h + 4*world.NumGlobals - 1},
		{"b[up]", (in+2)*h + 4*world.NumGlobals},
	} {
		if i := slices.Index(names, tt.name); i != tt.at {
			t.Errorf("%q at index %d, want %d", tt.name, i, tt.at)
		}
	}
}

// TestMLPMatchesDense compares the forward pass with the dense definition
// softmax(b_a + u_aᵀ·g + vᵀ·tanh(b1 + W1ᵀ·rot_a(x))).
func TestMLPMatchesDense(t *testing.T) {
	fam := agents.MLP{Hidden: 5}
	w := world.Window{Radius: agents.DefaultRadius}
	in, h := 25*world.CellChannels, 5
	theta := make([]float64, fam.Dim())
	fam.Init(theta, seeds.New(1, "mlp-dense"))
	for i := in * h; i < len(theta); i++ { // non-zero biases and global weights
		if i < (in+1)*h || i >= (in+2)*h {
			theta[i] = 0.1 * float64(i%3-1)
		}
	}
	p := fam.Policy(theta)
	obs := make([]float64, w.Len())
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
			for b := range q {
				x := rotated(obs, w.Radius, world.Action(b))
				for j := range h {
					pre := theta[in*h+j]
					for k, v := range x {
						pre += v * theta[k*h+j]
					}
					q[b] += math.Tanh(pre) * theta[(in+1)*h+j]
				}
				for g, v := range obs[in:] {
					q[b] += v * theta[(in+2)*h+4*g+b]
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
