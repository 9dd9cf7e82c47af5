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
		{agents.Reactive{}, 25*world.CellChannels + 4*(world.NumGlobals+1)},
		{agents.Reactive{Window: world.Window{Radius: 2}}, 25*world.CellChannels + 4*(world.NumGlobals+1)},
		{agents.Reactive{Window: world.Window{Radius: 1}}, 9*world.CellChannels + 4*(world.NumGlobals+1)},
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
	uniform := agents.Probs{0.25, 0.25, 0.25, 0.25}
	tests := []struct {
		name    string
		weights map[string]float64
		level   *world.Level
		check   func(p agents.Probs) bool
	}{
		{"bias", map[string]float64{"b[left]": 30}, train, func(p agents.Probs) bool { return p[world.Left] > 0.999 }},
		{"cue", map[string]float64{"w[cue→down]": 30}, train, func(p agents.Probs) bool { return p[world.Down] > 0.999 }},
		// The start (1,1) has border wall above and to the left: the
		// moves that enter a wall are ruled out, the others equal.
		{"wall ahead", map[string]float64{"w[ahead=1,right=0,wall]": -30}, train, func(p agents.Probs) bool {
			return p[world.Up]+p[world.Left] < 1e-12 && p[world.Right] == p[world.Down]
		}},
		// Left of an up move is the left border, left of a right move
		// the top border: both gain, and whichever of down and left
		// has a wall on its left.
		{"wall on the left", map[string]float64{"w[ahead=0,right=-1,wall]": 30}, train, func(p agents.Probs) bool {
			return p[world.Up] == p[world.Right] && p[world.Up] > 0.333
		}},
		// The agent's own cell is the same in every frame.
		{"visited here", map[string]float64{"w[ahead=0,right=0,visited]": 30}, deploy, func(p agents.Probs) bool { return p == uniform }},
		{"visits here", map[string]float64{"w[ahead=0,right=0,visits]": 30}, deploy, func(p agents.Probs) bool { return p == uniform }},
	}
	for _, tt := range tests {
		theta := thetaWith(t, fam, tt.weights)
		if p := probsAtStart(fam.Policy(theta), tt.level); !tt.check(p) {
			t.Errorf("%s: Probs %v", tt.name, p)
		}
	}
	// The cue weight does nothing without the cue.
	theta := thetaWith(t, fam, map[string]float64{"w[cue→down]": 30})
	if p := probsAtStart(fam.Policy(theta), deploy); p != uniform {
		t.Errorf("cue weight on a level without the cue: %v", p)
	}
}

// rotated returns the window part of a dense observation obs of radius r as
// seen from the frame of action a, in the order of the window weights: cell
// (ahead, right) for ahead from r down to −r and right from −r to r, the
// cell being ahead·dir(a) + right·dir(a turned clockwise) from the agent.
func rotated(obs []float64, r int, a world.Action) []float64 {
	dirs := [world.NumActions][2]int{{0, -1}, {1, 0}, {0, 1}, {-1, 0}} // up, right, down, left
	s := 2*r + 1
	c := world.CellChannels
	out := make([]float64, 0, s*s*c)
	fwd, side := dirs[a], dirs[(a+1)%4]
	for ahead := r; ahead >= -r; ahead-- {
		for right := -r; right <= r; right++ {
			dx, dy := ahead*fwd[0]+right*side[0], ahead*fwd[1]+right*side[1]
			k := ((dy+r)*s + dx + r) * c
			out = append(out, obs[k:k+c]...)
		}
	}
	return out
}

// TestReactiveMatchesDense compares the sparse forward pass with the dense
// definition softmax(b_a + Σ_i rot_a(x)_i·w_i + Σ_g x_g·u_g,a) over
// world.Window.Observe.
func TestReactiveMatchesDense(t *testing.T) {
	for _, fam := range []agents.Reactive{{}, {Window: world.Window{Radius: 1}}} {
		w := world.Window{Radius: fam.Window.Radius}
		if w.Radius == 0 {
			w.Radius = agents.DefaultRadius
		}
		theta := make([]float64, fam.Dim())
		fam.Init(theta, seeds.New(1, "dense"))
		for i := len(theta) - 4; i < len(theta); i++ {
			theta[i] = 0.1 * float64(i%3-1)
		}
		nw := len(theta) - 4*(world.NumGlobals+1)
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
					for j, x := range rotated(obs, w.Radius, world.Action(b)) {
						q[b] += x * theta[j]
					}
					for g, x := range obs[len(obs)-world.NumGlobals:] {
						q[b] += x * theta[nw+4*g+b]
					}
				}
				agents.Softmax(&want, &q, 1)
				for b := range got {
					if math.Abs(got[b]-want[b]) > 1e-12 {
						t.Fatalf("radius %d, level %d step %d: Probs %v, dense %v", w.Radius, i, e.Steps(), got, want)
					}
				}
				e.Step(a)
			}
		}
	}
}

// TestWindowFamiliesEquivariant: rotating a level by a quarter turn rotates
// what the window weights see; with zero global weights and biases (the
// last 4·(globals+1) parameters of both families), the probability of each
// move becomes that of the move a quarter turn round.
func TestWindowFamiliesEquivariant(t *testing.T) {
	l := presetLevels(t, "deploy", 3, 1)[0]
	rl := rotateLevel(t, l)
	for _, fam := range []agents.Family{agents.Reactive{}, agents.MLP{Hidden: 4}} {
		theta := make([]float64, fam.Dim())
		fam.Init(theta, seeds.New(5, "equivariant"))
		clear(theta[len(theta)-4*(world.NumGlobals+1):])
		e, re := world.NewEpisode(l), world.NewEpisode(rl)
		p, rp := fam.Policy(theta), fam.Policy(theta)
		p.Reset(e)
		rp.Reset(re)
		rng := seeds.New(6, "equivariant")
		for !e.Done() && e.Steps() < 40 {
			var a, b agents.Probs
			p.Probs(&a, e)
			rp.Probs(&b, re)
			for m := range a {
				// A move m in l is the move m+1 (clockwise) in rl.
				if math.Abs(a[m]-b[(m+1)%4]) > 1e-12 {
					t.Fatalf("%s, step %d: Probs %v, rotated level %v", fam.Name(), e.Steps(), a, b)
				}
			}
			m := agents.Sample(&a, rng)
			e.Step(m)
			re.Step((m + 1) % 4)
		}
	}
}

// rotateLevel returns l turned a quarter turn clockwise: cell (x, y) goes to
// (H−1−y, x).
func rotateLevel(t *testing.T, l *world.Level) *world.Level {
	t.Helper()
	w, h := l.Height, l.Width
	rot := func(p world.Point) world.Point { return world.Point{X: l.Height - 1 - p.Y, Y: p.X} }
	walls := make([]bool, w*h)
	for y := range l.Height {
		for x := range l.Width {
			q := rot(world.Point{X: x, Y: y})
			walls[q.Y*w+q.X] = l.Walls[y*l.Width+x]
		}
	}
	r := world.Level{Width: w, Height: h, Walls: walls, Start: rot(l.Start), Exit: l.Exit, StepLimit: l.StepLimit}
	r.Exit.Pos = rot(l.Exit.Pos)
	for _, a := range l.Apples {
		a.Pos = rot(a.Pos)
		r.Apples = append(r.Apples, a)
	}
	rl, err := world.NewLevel(r)
	if err != nil {
		t.Fatal(err)
	}
	return rl
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
