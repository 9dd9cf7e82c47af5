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

var reactiveFamilies = []struct {
	name      string
	fam       agents.Reactive
	gradients bool // also run CheckGradients (the costlier check)
}{
	{"zero", agents.Reactive{}, true},
	{"radius 3", agents.Reactive{Window: world.Window{Radius: 3}}, false},
	{"radius 1 noisy", agents.Reactive{Window: world.Window{Radius: 1, Noise: world.Noise{Colour: 0.1, Kind: 0.5, Cue: 0.2}}}, true},
}

func TestReactiveConformance(t *testing.T) {
	levels := trainAndDeploy(t, 3)
	gradLevels := trainAndDeploy(t, 2)
	for _, tt := range reactiveFamilies {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := agentstest.TestFamily(tt.fam, levels, 1); err != nil {
				t.Error(err)
			}
			if !tt.gradients {
				return
			}
			if err := agentstest.CheckGradients(tt.fam, gradLevels, 2, 1e-5); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestReactiveDim(t *testing.T) {
	tests := []struct {
		fam  agents.Reactive
		want int
	}{
		{agents.Reactive{}, 4 * (25*world.CellChannels + world.NumGlobals + 1)},
		{agents.Reactive{Window: world.Window{Radius: 2}}, 4 * (25*world.CellChannels + world.NumGlobals + 1)},
		{agents.Reactive{Window: world.Window{Radius: 1}}, 4 * (9*world.CellChannels + world.NumGlobals + 1)},
	}
	for _, tt := range tests {
		if got := tt.fam.Dim(); got != tt.want {
			t.Errorf("%+v: Dim() = %d, want %d", tt.fam, got, tt.want)
		}
		if got := len(tt.fam.ParamNames()); got != tt.want {
			t.Errorf("%+v: %d names, want %d", tt.fam, got, tt.want)
		}
	}
}

// thetaWith returns a zero θ of fam with the named parameters set.
func thetaWith(t *testing.T, fam agents.Family, weights map[string]float64) []float64 {
	t.Helper()
	names := fam.ParamNames()
	theta := make([]float64, fam.Dim())
	for name, w := range weights {
		i := slices.Index(names, name)
		if i < 0 {
			t.Fatalf("%s has no parameter %q", fam.Name(), name)
		}
		theta[i] = w
	}
	return theta
}

func probsAtStart(p agents.Policy, l *world.Level) agents.Probs {
	e := world.NewEpisode(l)
	p.Reset(e)
	var probs agents.Probs
	p.Probs(&probs, e)
	return probs
}

// TestReactiveParamNamesMatchLayout sets single named weights and checks that
// they act on the feature their name says.
func TestReactiveParamNamesMatchLayout(t *testing.T) {
	fam := agents.Reactive{}
	train := presetLevels(t, "train", 0, 1)[0]   // cue, start top-left
	deploy := presetLevels(t, "deploy", 0, 1)[0] // no cue
	tests := []struct {
		name    string
		weights map[string]float64
		level   *world.Level
		want    world.Action // made (almost) certain
	}{
		{"bias", map[string]float64{"b[left]": 30}, train, world.Left},
		{"cue", map[string]float64{"w[cue→down]": 30}, train, world.Down},
		// Start is (1,1): the cell above is border wall.
		{"wall above", map[string]float64{"w[dy=-1,dx=0,wall→up]": 30}, train, world.Up},
		{"wall left", map[string]float64{"w[dy=0,dx=-1,wall→right]": 30}, deploy, world.Right},
		{"visited here", map[string]float64{"w[dy=0,dx=0,visited→left]": 30}, deploy, world.Left},
	}
	for _, tt := range tests {
		theta := thetaWith(t, fam, tt.weights)
		p := probsAtStart(fam.Policy(theta), tt.level)
		if p[tt.want] < 0.999 {
			t.Errorf("%s: Probs %v, want %v almost surely", tt.name, p, tt.want)
		}
	}
	// The cue weight does nothing without the cue.
	theta := thetaWith(t, fam, map[string]float64{"w[cue→down]": 30})
	if p := probsAtStart(fam.Policy(theta), deploy); p != (agents.Probs{0.25, 0.25, 0.25, 0.25}) {
		t.Errorf("cue weight on a level without the cue: %v", p)
	}
}

// TestReactiveMatchesDense compares the sparse forward pass with the dense
// definition softmax(b + Σ_i x_i·θ[i][·]) over world.Window.Observe.
func TestReactiveMatchesDense(t *testing.T) {
	fam := agents.Reactive{}
	w := world.Window{Radius: agents.DefaultRadius}
	theta := make([]float64, fam.Dim())
	fam.Init(theta, seeds.New(1, "dense"))
	p := fam.Policy(theta)
	obs := make([]float64, w.Len())
	var r agents.Runner
	var tr agents.Trajectory
	r.Trajectory = &tr
	for i, l := range trainAndDeploy(t, 3) {
		r.Run(p, l, seeds.New(2, "dense", uint64(i)))
		e := world.NewEpisode(l)
		p.Reset(e)
		for _, a := range tr.Actions {
			var got, want agents.Probs
			p.Probs(&got, e)
			w.Observe(obs, e, nil)
			var q [world.NumActions]float64
			for b := range q {
				q[b] = theta[len(theta)-4+b]
				for j, x := range obs {
					q[b] += x * theta[4*j+b]
				}
			}
			agents.Softmax(&want, &q, 1)
			for b := range got {
				if math.Abs(got[b]-want[b]) > 1e-12 {
					t.Fatalf("level %d step %d: Probs %v, dense %v", i, e.Steps(), got, want)
				}
			}
			e.Step(a)
		}
	}
}

func TestReactiveNoAllocs(t *testing.T) {
	levels := trainAndDeploy(t, 2)
	for _, tt := range reactiveFamilies {
		theta := make([]float64, tt.fam.Dim())
		tt.fam.Init(theta, seeds.New(1, "allocs"))
		testNoAllocs(t, tt.name, tt.fam.Policy(theta), len(theta), levels)
	}
}

// testNoAllocs checks that steps (Probs, GradLogProb, Step) and episode
// resets do not allocate.
func testNoAllocs(t *testing.T, name string, p agents.Differentiable, dim int, levels []*world.Level) {
	t.Helper()
	e := world.NewEpisode(levels[0])
	for _, l := range levels {
		e.Reset(l)
		p.Reset(e)
	}
	var probs agents.Probs
	rng := seeds.New(2, "allocs")
	grad := make([]float64, dim)
	k := 0
	allocs := testing.AllocsPerRun(500, func() {
		if e.Done() {
			e.Reset(levels[k%len(levels)])
			k++
			p.Reset(e)
		}
		p.Probs(&probs, e)
		a := agents.Sample(&probs, rng)
		p.GradLogProb(grad, a, 0.5)
		e.Step(a)
	})
	if allocs != 0 {
		t.Errorf("%s: %v allocations per step", name, allocs)
	}
}

func TestReactiveValidate(t *testing.T) {
	tests := []struct {
		fam agents.Reactive
		ok  bool
	}{
		{agents.Reactive{}, true},
		{agents.Reactive{Window: world.Window{Radius: agents.MaxRadius}}, true},
		{agents.Reactive{Window: world.Window{Radius: -1}}, false},
		{agents.Reactive{Window: world.Window{Radius: agents.MaxRadius + 1}}, false},
		{agents.Reactive{Window: world.Window{Noise: world.Noise{Kind: -1}}}, false},
	}
	for _, tt := range tests {
		if err := tt.fam.Validate(); (err == nil) != tt.ok {
			t.Errorf("%+v: Validate() = %v, want ok %t", tt.fam, err, tt.ok)
		}
	}
}

func TestPolicyWrongDimPanics(t *testing.T) {
	for _, fam := range []agents.Family{agents.Reactive{}, agents.MLP{}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Policy with a short θ did not panic", fam.Name())
				}
			}()
			fam.Policy(make([]float64, fam.Dim()-1))
		}()
	}
}
