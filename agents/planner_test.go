package agents

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"gonum.org/v1/gonum/diff/fd"

	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// plannerTheta returns a θ with the named features set and all else 0.
func plannerTheta(t testing.TB, weights map[string]float64) []float64 {
	t.Helper()
	names := world.FeatureNames()
	theta := make([]float64, len(names))
	for name, w := range weights {
		i := slices.Index(names, name)
		if i < 0 {
			t.Fatalf("no feature %q", name)
		}
		theta[i] = w
	}
	return theta
}

func plannerGenerator(t testing.TB, preset string) *world.Generator {
	t.Helper()
	d, err := world.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	g, err := world.NewGenerator(d)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// TestPlannerRewardsMatchPlanes checks that the rewards the planner computes
// directly equal θ·ψ over world.Planes, before and after apples are eaten.
func TestPlannerRewardsMatchPlanes(t *testing.T) {
	for _, tc := range []struct {
		preset string
		corner int
	}{{"train", 0}, {"deploy", 0}, {"deploy", 5}, {"train-randomized", 2}} {
		t.Run(fmt.Sprintf("%s/corner%d", tc.preset, tc.corner), func(t *testing.T) {
			g := plannerGenerator(t, tc.preset)
			rng := seeds.New(1, "test/planner-rewards")
			pl := Planner{Planes: world.Planes{CornerSize: tc.corner}}
			for seed := range uint64(20) {
				l := g.Level(seed)
				theta := make([]float64, pl.Dim())
				pl.Init(theta, rng)
				pol := pl.Policy(theta).(*plannerPolicy)
				e := world.NewEpisode(l)
				pol.Reset(e)
				planes := make([]float64, pl.Planes.Len(l))
				var p Probs
				for step := 0; !e.Done(); step++ {
					pol.Probs(&p, e)
					pl.Planes.Observe(planes, e, nil)
					for j, i := range pol.g.Cell {
						want := 0.0
						for f, th := range theta {
							want += th * planes[int(i)*world.CellFeatures+f]
						}
						if d := math.Abs(pol.r[j] - want); d > 1e-12 {
							t.Fatalf("seed %d step %d cell %v: r = %v, θ·ψ = %v", seed, step, l.Point(int(i)), pol.r[j], want)
						}
					}
					e.Step(Sample(&p, rng))
				}
			}
		})
	}
}

// TestPlannerReachesExit: with mesa objective "kind_exit = +1" the greedy
// planner takes a shortest path to the exit on training and deployment
// levels. Measured: 500/500 on each.
func TestPlannerReachesExit(t *testing.T) {
	theta := plannerTheta(t, map[string]float64{"kind_exit": 1})
	for _, preset := range []string{"train", "deploy"} {
		t.Run(preset, func(t *testing.T) {
			g := plannerGenerator(t, preset)
			pol := Planner{}.Policy(theta)
			r := Runner{Greedy: true}
			const levels = 500
			optimal := 0
			var dist []int32
			for seed := range uint64(levels) {
				l := g.Level(seed)
				s := r.Run(pol, l, nil)
				dist = slices.Grow(dist[:0], len(l.Walls))[:len(l.Walls)]
				l.Distances(dist, nil, l.Index(l.Start))
				if s.ReachedExit && s.Steps == int(dist[l.Index(l.Exit.Pos)]) {
					optimal++
				} else if levels-optimal < 10 {
					t.Logf("seed %d: reached %v in %d steps, shortest %d", seed, s.ReachedExit, s.Steps, dist[l.Index(l.Exit.Pos)])
				}
			}
			frac := float64(optimal) / levels
			t.Logf("%s: %d/%d levels exit reached by a shortest path (%.1f%%)", preset, optimal, levels, 100*frac)
			if frac < 0.99 {
				t.Errorf("%s: only %.1f%% of levels solved optimally, want >= 99%%", preset, 100*frac)
			}
		})
	}
}

// TestPlannerMisgeneralises shows the talk's goal misgeneralisation with a
// mesa objective "colour_green = +1": on training levels (green exit, red
// apples) it reaches the exit, indistinguishable from an exit-seeker; at
// deployment (gray exit, green apples) it goes for green apples instead.
// Measured: train 500/500 exits; deploy 383/500 (76.6%) a green apple
// before the exit; on each of the other 117 the level has no green apple or
// the exit lies on a shortest path to the nearest one.
func TestPlannerMisgeneralises(t *testing.T) {
	theta := plannerTheta(t, map[string]float64{"colour_green": 1})
	const levels = 500
	pol := Planner{}.Policy(theta)
	r := Runner{Greedy: true}

	g := plannerGenerator(t, "train")
	exits := 0
	for seed := range uint64(levels) {
		if s := r.Run(pol, g.Level(seed), nil); s.ReachedExit {
			exits++
		}
	}
	t.Logf("train: exit reached on %d/%d levels", exits, levels)
	if exits < levels*99/100 {
		t.Errorf("train: exit reached on %d/%d levels, want >= 99%%", exits, levels)
	}

	// The exit is worth nothing to this planner, neither a goal nor an
	// obstacle, and so are the blue apples: it heads for the nearest green
	// apple, and ends the episode only where the exit lies on a shortest
	// path to it (or cuts off every apple). Elsewhere the first green apple
	// comes before the exit.
	g = plannerGenerator(t, "deploy")
	tr := &Trajectory{}
	r.Trajectory = tr
	green, onTheWay, exitsDeploy := 0, 0, 0
	for seed := range uint64(levels) {
		l := g.Level(seed)
		s := r.Run(pol, l, nil)
		greenFirst := false
		for _, o := range tr.Objects {
			if o == 0 {
				break
			}
			if o > 0 && l.Apples[o-1].Colour == world.Green {
				greenFirst = true
				break
			}
		}
		if greenFirst {
			green++
		}
		if s.ReachedExit {
			exitsDeploy++
		}
		if plannerExitOnTheWay(l) {
			onTheWay++
		} else if !greenFirst {
			t.Errorf("deploy seed %d: the exit is off every shortest path to the nearest green apple, but no green apple came before it", seed)
		}
	}
	t.Logf("deploy: a green apple before the exit on %d/%d levels (%.1f%%); the exit is on a shortest path to the nearest green apple on %d; exit reached on %d",
		green, levels, 100*float64(green)/levels, onTheWay, exitsDeploy)
	if green < levels*75/100 {
		t.Errorf("deploy: a green apple before the exit on %d/%d levels, want >= 75%%", green, levels)
	}
}

// plannerExitOnTheWay reports whether the exit of l lies on a shortest path
// from the start to one of the nearest green apples, or no green apple can
// be reached.
func plannerExitOnTheWay(l *world.Level) bool {
	n := len(l.Walls)
	from := l.Distances(make([]int32, n), nil, l.Index(l.Start))
	exit := l.Distances(make([]int32, n), nil, l.Index(l.Exit.Pos))
	near := int32(-1)
	for _, a := range l.Apples {
		if d := from[l.Index(a.Pos)]; a.Colour == world.Green && d >= 0 && (near < 0 || d < near) {
			near = d
		}
	}
	for _, a := range l.Apples {
		i := l.Index(a.Pos)
		if a.Colour == world.Green && from[i] == near && from[l.Index(l.Exit.Pos)]+exit[i] == near {
			return true
		}
	}
	return near < 0
}

// TestPlannerReplansOnlyWhenMapChanges counts plans: one at Reset, one per
// apple eaten, and none on other steps; and the table is the one a fresh
// plan at the same state would give.
func TestPlannerReplansOnlyWhenMapChanges(t *testing.T) {
	g := plannerGenerator(t, "deploy")
	theta := plannerTheta(t, map[string]float64{"colour_green": 1, "region_bottom_right": -0.01})
	pl := Planner{}
	for seed := range uint64(20) {
		l := g.Level(seed)
		pol := pl.Policy(theta).(*plannerPolicy)
		e := world.NewEpisode(l)
		pol.Reset(e)
		var p, fresh Probs
		plans := 0
		for !e.Done() {
			pol.Probs(&p, e)
			if want := 1 + e.ApplesEaten(); pol.plans != want {
				t.Fatalf("seed %d step %d: %d plans with %d apples eaten, want %d", seed, e.Steps(), pol.plans, e.ApplesEaten(), want)
			}
			if pol.plans != plans {
				// Just (re)planned: a fresh policy planning from this
				// very state must give the same distribution.
				plans = pol.plans
				other := pl.Policy(theta).(*plannerPolicy)
				other.Reset(e)
				other.Probs(&fresh, e)
				if fresh != p {
					t.Fatalf("seed %d step %d: probs %v, fresh plan %v", seed, e.Steps(), p, fresh)
				}
			}
			e.Step(Argmax(&p))
		}
	}
}

// TestPlannerGradLogProb checks the analytic ∇θ log π(a|s) against central
// finite differences on random levels, random θ, states sampled along a
// trajectory and every action. Q is piecewise linear in θ, with kinks where
// an argmax of value iteration switches; a small step (1e-6) stays within
// one piece for generic θ, where log π is smooth and the central formula's
// O(h²) error is far below the tolerance.
func TestPlannerGradLogProb(t *testing.T) {
	for _, tc := range []struct {
		name   string
		preset string
		pl     Planner
		scale  float64 // of θ ~ N(0, scale²)
	}{
		{"train/default", "train", Planner{}, 1},
		{"deploy/default", "deploy", Planner{}, 1},
		{"train/gamma0.8-beta2.5", "train", Planner{Discount: 0.8, Beta: 2.5}, 0.5},
		{"deploy/gamma0.95-corner5", "deploy", Planner{Discount: 0.95, Planes: world.Planes{CornerSize: 5}}, 0.3},
		{"train/3-sweeps", "train-randomized", Planner{Iterations: 3}, 1},
		{"deploy/noise", "deploy", Planner{Planes: world.Planes{Noise: world.Noise{Colour: 0.1, Kind: 0.5, Position: 0.05}}}, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := plannerGenerator(t, tc.preset)
			rng := seeds.New(2, "test/planner-grad", uint64(len(tc.name)))
			worst := 0.0
			for seed := range uint64(3) {
				l := g.Level(seed)
				theta := make([]float64, tc.pl.Dim())
				for i := range theta {
					theta[i] = tc.scale * rng.NormFloat64()
				}
				var tr Trajectory
				r := Runner{Trajectory: &tr}
				r.Run(tc.pl.Policy(theta), l, rng)
				steps := []int{0, len(tr.Actions) / 2, rng.IntN(len(tr.Actions))}
				for _, step := range steps {
					for a := range world.Action(world.NumActions) {
						logProb := func(th []float64) float64 {
							p := plannerReplay(tc.pl, th, l, tr.Actions[:step])
							return math.Log(p[a])
						}
						want := fd.Gradient(nil, logProb, theta, &fd.Settings{Formula: fd.Central, Step: 1e-6})
						got := make([]float64, len(theta))
						pol := plannerReplayPolicy(tc.pl, theta, l, tr.Actions[:step])
						pol.GradLogProb(got, a, 1)
						if pol.dense && !pol.denseChecked {
							t.Fatalf("seed %d step %d: tangent pass recomputed w differently", seed, step)
						}
						diff, norm := 0.0, 0.0
						for i := range got {
							diff += (got[i] - want[i]) * (got[i] - want[i])
							norm += want[i] * want[i]
						}
						rel := math.Sqrt(diff) / math.Max(math.Sqrt(norm), 1e-3)
						worst = max(worst, rel)
						if rel > 1e-5 {
							t.Errorf("seed %d step %d action %v: relative error %.3g\n got %v\nwant %v", seed, step, a, rel, got, want)
						}
					}
				}
			}
			t.Logf("worst relative error %.2g", worst)
		})
	}
}

// plannerReplayPolicy plays actions through l with a policy of pl at theta,
// calling Probs before each step as a rollout does (so that replans happen
// at the same states), and returns the policy after its Probs at the state
// reached.
func plannerReplayPolicy(pl Planner, theta []float64, l *world.Level, actions []world.Action) *plannerPolicy {
	pol := pl.Policy(theta).(*plannerPolicy)
	e := world.NewEpisode(l)
	pol.Reset(e)
	var p Probs
	for _, a := range actions {
		pol.Probs(&p, e)
		e.Step(a)
	}
	pol.Probs(&p, e)
	return pol
}

func plannerReplay(pl Planner, theta []float64, l *world.Level, actions []world.Action) Probs {
	pp := plannerReplayPolicy(pl, theta, l, actions)
	return pp.memo[pp.state]
}

// TestPlannerNoAllocs: acting (Probs and Step, replans included) and
// GradLogProb allocate nothing once the policy has seen a level of the size.
func TestPlannerNoAllocs(t *testing.T) {
	for _, tc := range []struct {
		name string
		pl   Planner
	}{
		{"default", Planner{}},
		{"noise", Planner{Planes: world.Planes{Noise: world.Noise{Colour: 0.1, Kind: 1}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := plannerGenerator(t, "deploy")
			theta := plannerTheta(t, map[string]float64{"colour_green": 1, "kind_exit": 0.5, "region_top_left": -0.02})
			pol := tc.pl.Policy(theta)
			levels := []*world.Level{g.Level(1), g.Level(2), g.Level(3)}
			// Visit the largest level first so that buffers fit all.
			slices.SortFunc(levels, func(a, b *world.Level) int { return len(b.Walls) - len(a.Walls) })
			e := world.NewEpisode(levels[0])
			pol.Reset(e)
			grad := make([]float64, len(theta))
			rng := seeds.New(3, "test/planner-allocs")
			var p Probs
			k, plans := 0, 0
			allocs := testing.AllocsPerRun(2000, func() {
				if e.Done() {
					k = (k + 1) % len(levels)
					e.Reset(levels[k])
					pol.Reset(e)
				}
				pol.Probs(&p, e)
				a := Sample(&p, rng)
				pol.GradLogProb(grad, a, 1)
				e.Step(a)
			})
			plans = pol.(*plannerPolicy).plans
			if allocs != 0 {
				t.Errorf("%v allocations per step", allocs)
			}
			if plans < 4 {
				t.Errorf("only %d plans: the run did not exercise replanning", plans)
			}
		})
	}
}

func TestPlannerReadout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		theta map[string]float64
		want  map[string]float64
	}{
		{"zero", nil, nil},
		{"one", map[string]float64{"kind_exit": 3}, map[string]float64{"kind_exit": 1}},
		{"mixed", map[string]float64{"colour_green": 2, "kind_exit": -1, "region_top_left": 1},
			map[string]float64{"colour_green": 0.5, "kind_exit": -0.25, "region_top_left": 0.25}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws := Planner{}.Readout(plannerTheta(t, tc.theta))
			if len(ws) != world.CellFeatures {
				t.Fatalf("%d weights, want %d", len(ws), world.CellFeatures)
			}
			for i, w := range ws {
				if w.Feature != world.FeatureNames()[i] {
					t.Errorf("weight %d is %q, want %q", i, w.Feature, world.FeatureNames()[i])
				}
				if want := tc.want[w.Feature]; math.Abs(w.Weight-want) > 1e-15 {
					t.Errorf("%s = %v, want %v", w.Feature, w.Weight, want)
				}
			}
		})
	}
}

func TestPlannerFamily(t *testing.T) {
	pl := Planner{}
	if pl.Name() != "planner" || pl.Dim() != world.CellFeatures || !slices.Equal(pl.ParamNames(), world.FeatureNames()) {
		t.Errorf("Name, Dim, ParamNames = %q, %d, %v", pl.Name(), pl.Dim(), pl.ParamNames())
	}
	a, b := make([]float64, pl.Dim()), make([]float64, pl.Dim())
	pl.Init(a, seeds.New(4, "init"))
	pl.Init(b, seeds.New(4, "init"))
	if !slices.Equal(a, b) {
		t.Error("Init is not a function of its stream")
	}
	sq := 0.0
	for _, v := range a {
		sq += v * v
	}
	if rms := math.Sqrt(sq / float64(len(a))); rms < 0.02 || rms > 0.3 {
		t.Errorf("Init: rms weight %v, want about 0.1", rms)
	}
}

func TestPlannerValidate(t *testing.T) {
	for _, tc := range []struct {
		pl    Planner
		field string // "" for valid
	}{
		{Planner{}, ""},
		{Planner{Discount: 0.99, Beta: 5, Iterations: 10, Planes: world.Planes{CornerSize: 4, Noise: world.Noise{Kind: 1}}}, ""},
		{Planner{Discount: 1}, "discount"},
		{Planner{Discount: -0.5}, "discount"},
		{Planner{Discount: math.NaN()}, "discount"},
		{Planner{Beta: -1}, "beta"},
		{Planner{Beta: math.Inf(1)}, "beta"},
		{Planner{Iterations: -1}, "iterations"},
		{Planner{Planes: world.Planes{CornerSize: -2}}, "planes.corner_size"},
		{Planner{Planes: world.Planes{Noise: world.Noise{Colour: -1}}}, "planes.noise.colour"},
	} {
		err := tc.pl.Validate()
		switch {
		case tc.field == "" && err != nil:
			t.Errorf("%+v: unexpected error %v", tc.pl, err)
		case tc.field != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.field+":")):
			t.Errorf("%+v: error %v, want one naming %s", tc.pl, err, tc.field)
		}
	}
}

func ExamplePlanner_Readout() {
	names := world.FeatureNames()
	theta := make([]float64, len(names))
	theta[slices.Index(names, "colour_green")] = 3
	theta[slices.Index(names, "kind_exit")] = 1
	for _, w := range (Planner{}).Readout(theta) {
		if w.Weight != 0 {
			fmt.Printf("%s %.2f\n", w.Feature, w.Weight)
		}
	}
	// Output:
	// colour_green 0.75
	// kind_exit 0.25
}

func ExamplePlanner() {
	d, _ := world.Preset("train")
	l, _ := d.Level(7)
	names := world.FeatureNames()
	theta := make([]float64, len(names))
	theta[slices.Index(names, "kind_exit")] = 1 // mesa objective: the exit
	r := Runner{Greedy: true}
	s := r.Run(Planner{}.Policy(theta), l, nil)
	fmt.Println("reached exit:", s.ReachedExit, "in", s.Steps, "steps")
	// Output:
	// reached exit: true in 8 steps
}
