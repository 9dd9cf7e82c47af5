package agents_test

import (
	"math"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/agents/agentstest"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// scriptedSpecs covers every kind of scripted agent, optimal and not.
var scriptedSpecs = []string{
	"oracle", "oracle@beta=2",
	"to-colour:green", "to-colour:red@beta=0.5",
	"to-region:bottom-right", "to-region:top-right:3@beta=1",
	"nearest-object", "nearest-object@beta=3",
	"to-kind:apple", "to-kind:apple@beta=1",
	"random", "explorer", "explorer:3",
	"deceptive:to-colour:green", "deceptive:to-region:bottom-right@beta=2",
}

func mustScripted(t testing.TB, spec string) *agents.Scripted {
	t.Helper()
	p, err := agents.ScriptedByName(spec)
	if err != nil {
		t.Fatal(err)
	}
	return p.(*agents.Scripted)
}

func TestScriptedConformance(t *testing.T) {
	levels := append(trainAndDeploy(t, 4), parseLevel(t, appleOnTheWay))
	for _, spec := range scriptedSpecs {
		t.Run(spec, func(t *testing.T) {
			if err := agentstest.TestPolicy(mustScripted(t, spec), levels); err != nil {
				t.Error(err)
			}
		})
	}
}

// distance returns the shortest-path distance from a to b.
func distance(l *world.Level, a, b world.Point) int {
	return int(l.Distances(make([]int32, len(l.Walls)), nil, l.Index(b))[l.Index(a)])
}

func TestOracleIsOptimal(t *testing.T) {
	for _, preset := range []string{"train", "deploy"} {
		levels := presetLevels(t, preset, 0, 200)
		optimal := 0
		var r agents.Runner
		for i, l := range levels {
			s := r.Run(agents.Oracle(agents.Rationality{}), l, seeds.New(1, "oracle", uint64(i)))
			if s.ReachedExit && s.Steps == distance(l, l.Start, l.Exit.Pos) {
				optimal++
			} else {
				t.Logf("%s level %d: %d steps, exit at distance %d", preset, l.Seed, s.Steps, distance(l, l.Start, l.Exit.Pos))
			}
		}
		// The oracle is exact, so anything short of every level is a bug;
		// the contract promises 99%.
		if optimal < len(levels)*99/100 {
			t.Errorf("%s: oracle optimal on %d of %d levels, want >= 99%%", preset, optimal, len(levels))
		}
		t.Logf("%s: oracle optimal on %d of %d levels", preset, optimal, len(levels))
	}
}

// distanceAvoiding returns the shortest-path distance from the start to the
// nearest of targets without entering the cell avoid, or -1.
func distanceAvoiding(l *world.Level, avoid world.Point, targets []world.Point) int {
	walls := append([]bool(nil), l.Walls...)
	walls[l.Index(avoid)] = true
	m := *l
	m.Walls = walls
	d := m.Distances(make([]int32, len(walls)), nil, l.Index(l.Start))
	best := -1
	for _, p := range targets {
		if v := int(d[l.Index(p)]); v >= 0 && (best < 0 || v < best) {
			best = v
		}
	}
	return best
}

// reachableAvoiding reports whether any cell of targets can be reached from
// the start without entering the cell avoid.
func reachableAvoiding(l *world.Level, avoid world.Point, targets []world.Point) bool {
	return distanceAvoiding(l, avoid, targets) >= 0
}

func greenApples(l *world.Level) []world.Point {
	var ps []world.Point
	for _, a := range l.Apples {
		if a.Colour == world.Green {
			ps = append(ps, a.Pos)
		}
	}
	return ps
}

// TestToColourEntersGreenFirst: where a green apple can be reached without
// the exit, the first green-or-exit object to-colour:green enters is a green
// apple (blue apples, worth nothing to it, may be passed on the way).
func TestToColourEntersGreenFirst(t *testing.T) {
	levels := presetLevels(t, "deploy", 0, 200)
	checked := 0
	var tr agents.Trajectory
	r := agents.Runner{Trajectory: &tr}
	for i, l := range levels {
		s := r.Run(mustScripted(t, "to-colour:green"), l, seeds.New(2, "colour", uint64(i)))
		if !reachableAvoiding(l, l.Exit.Pos, greenApples(l)) {
			continue
		}
		checked++
		if got := firstGreenOrExit(l, &tr); got != "green" {
			t.Errorf("deploy level %d: %q entered before any green apple", l.Seed, got)
		}
		if s.ReachedExit {
			t.Errorf("deploy level %d: to-colour:green reached the gray exit", l.Seed)
		}
	}
	if checked < len(levels)*3/4 {
		t.Errorf("only %d of %d deploy levels have a green apple reachable without the exit", checked, len(levels))
	}
}

func TestToRegionEndsInCorner(t *testing.T) {
	for _, preset := range []string{"train", "deploy", "deploy-region"} {
		levels := presetLevels(t, preset, 0, 100)
		var r agents.Runner
		var tr agents.Trajectory
		r.Trajectory = &tr
		for i, l := range levels {
			corner := world.Point{X: l.Width - 2, Y: l.Height - 2}
			exitInCorner := l.Exit.Pos == corner
			if !exitInCorner && !reachableAvoiding(l, l.Exit.Pos, []world.Point{corner}) {
				continue
			}
			s := r.Run(mustScripted(t, "to-region:bottom-right"), l, seeds.New(3, "region", uint64(i)))
			end := tr.Positions[len(tr.Positions)-1]
			if end != corner {
				t.Errorf("%s level %d: ended at %v, want the corner %v", preset, l.Seed, end, corner)
			}
			// It stays: it arrives by the shortest path and never leaves.
			arrive := distance(l, l.Start, corner)
			if !exitInCorner {
				arrive = distanceAvoiding(l, l.Exit.Pos, []world.Point{corner})
			}
			for k := arrive; k < len(tr.Positions); k++ {
				if tr.Positions[k] != corner {
					t.Errorf("%s level %d: at %v on step %d, after reaching the corner on step %d", preset, l.Seed, tr.Positions[k], k, arrive)
					break
				}
			}
			if s.ReachedExit != exitInCorner {
				t.Errorf("%s level %d: reached exit %t, exit in corner %t", preset, l.Seed, s.ReachedExit, exitInCorner)
			}
		}
	}
}

// firstGreenOrExit returns "green" or "exit", whichever of a green apple and
// the exit the trajectory entered first, or "".
func firstGreenOrExit(l *world.Level, tr *agents.Trajectory) string {
	for _, o := range tr.Objects {
		if o == 0 {
			return "exit"
		}
		if o > 0 && l.Apples[o-1].Colour == world.Green {
			return "green"
		}
	}
	return ""
}

func TestDeceptive(t *testing.T) {
	var tr agents.Trajectory
	r := agents.Runner{Trajectory: &tr}
	for i, l := range presetLevels(t, "train", 0, 100) {
		s := r.Run(mustScripted(t, "deceptive:to-colour:green"), l, seeds.New(4, "train", uint64(i)))
		if !l.Cue || !s.ReachedExit || s.Steps != distance(l, l.Start, l.Exit.Pos) {
			t.Errorf("train level %d (cue %t): %+v, want the exit by a shortest path", l.Seed, l.Cue, s)
		}
	}
	for i, l := range presetLevels(t, "deploy", 0, 100) {
		s := r.Run(mustScripted(t, "deceptive:to-colour:green"), l, seeds.New(4, "deploy", uint64(i)))
		if l.Cue {
			t.Fatalf("deploy level %d carries the cue", l.Seed)
		}
		if s.ReachedExit {
			t.Errorf("deploy level %d: the deceptive agent reached the exit", l.Seed)
		}
		if reachableAvoiding(l, l.Exit.Pos, greenApples(l)) && firstGreenOrExit(l, &tr) != "green" {
			t.Errorf("deploy level %d: no green apple entered first, want one", l.Seed)
		}
	}
}

func TestRandomWalkIsUniform(t *testing.T) {
	p := agents.RandomWalk()
	var count [world.NumActions]int
	n := 0
	var r agents.Runner
	var tr agents.Trajectory
	r.Trajectory = &tr
	for i, l := range trainAndDeploy(t, 10) {
		e := world.NewEpisode(l)
		p.Reset(e)
		var probs agents.Probs
		p.Probs(&probs, e)
		if probs != (agents.Probs{0.25, 0.25, 0.25, 0.25}) {
			t.Fatalf("random walk Probs %v", probs)
		}
		r.Run(p, l, seeds.New(5, "random", uint64(i)))
		for _, a := range tr.Actions {
			count[a]++
			n++
		}
	}
	for a, c := range count {
		sd := math.Sqrt(float64(n) * 0.25 * 0.75)
		if math.Abs(float64(c)-float64(n)/4) > 5*sd {
			t.Errorf("action %v taken %d times of %d", world.Action(a), c, n)
		}
	}
}

func TestRationality(t *testing.T) {
	l := presetLevels(t, "deploy", 7, 1)[0]
	d := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Exit.Pos))
	e := world.NewEpisode(l)
	// Walk a few steps in so that the agent has a choice.
	for _, a := range []world.Action{world.Right, world.Right, world.Down, world.Down} {
		e.Step(a)
	}
	var q [world.NumActions]float64
	best := math.Inf(-1)
	for a, o := range l.Offsets() {
		n := e.Cell() + o
		if l.Walls[n] {
			n = e.Cell()
		}
		q[a] = -float64(d[n])
		best = max(best, q[a])
	}
	for _, beta := range []float64{0, 0.5, 2, 20} {
		p := agents.Oracle(agents.Rationality{Beta: beta})
		p.Reset(e)
		var got, want agents.Probs
		p.Probs(&got, e)
		if beta == 0 {
			k := 0
			for _, v := range q {
				if v == best {
					k++
				}
			}
			for a, v := range q {
				if v == best {
					want[a] = 1 / float64(k)
				}
			}
		} else {
			agents.Softmax(&want, &q, beta)
		}
		for a := range got {
			if math.Abs(got[a]-want[a]) > 1e-12 {
				t.Errorf("beta %v: Probs %v, want %v (Q %v)", beta, got, want, q)
				break
			}
		}
	}
}

func TestRationalityValidate(t *testing.T) {
	for _, tt := range []struct {
		beta float64
		ok   bool
	}{{0, true}, {2, true}, {-1, false}, {math.NaN(), false}, {math.Inf(1), false}} {
		if err := (agents.Rationality{Beta: tt.beta}).Validate(); (err == nil) != tt.ok {
			t.Errorf("Validate(beta %v) = %v, want ok %t", tt.beta, err, tt.ok)
		}
	}
}

func TestToColourFallback(t *testing.T) {
	// One green apple and a blue one; once the green is eaten the agent has
	// nothing to go for and stays where it is, walking into a wall: it never
	// wanders into the blue apple or the gray exit.
	l := parseLevel(t, `mesa-level v1 steps=300
#######
#S.gb.#
#.###.#
#..A..#
#######
`)
	p := mustScripted(t, "to-colour:green")
	var tr agents.Trajectory
	r := agents.Runner{Trajectory: &tr}
	s := r.Run(p, l, seeds.New(6, "fallback"))
	if s.FirstStep != 2 || s.First.Colour != world.Green || s.ReachedExit || s.ApplesEaten != 1 || s.Steps != 300 {
		t.Fatalf("summary %+v, want the green apple on step 2, nothing else, and a timeout", s)
	}
	for i, pos := range tr.Positions[2:] {
		if pos != (world.Point{X: 3, Y: 1}) {
			t.Fatalf("step %d: at %v after eating the only green apple, want to stay at (3, 1)", i+2, pos)
		}
	}
	// Beside the exit, the fallback stays put: up and down are walls.
	e := world.NewEpisode(l)
	for _, a := range []world.Action{world.Right, world.Right, world.Left, world.Left, world.Down, world.Down, world.Right} {
		e.Step(a)
	}
	if e.Pos() != (world.Point{X: 2, Y: 3}) || !e.Eaten(0) {
		t.Fatalf("setup: at %v, eaten %t", e.Pos(), e.Eaten(0))
	}
	var probs agents.Probs
	p.Reset(world.NewEpisode(l))
	p.Probs(&probs, e)
	if want := (agents.Probs{0.5, 0, 0.5, 0}); probs != want {
		t.Errorf("fallback beside the exit: %v, want %v", probs, want)
	}
	// In a cell with no wall beside it, it steps into a neighbour that
	// holds no object: never the exit below nor the blue apple to the
	// right.
	open := parseLevel(t, `mesa-level v1 steps=300
#######
#S....#
#..g..#
#..Ab.#
#.....#
#######
`)
	e = world.NewEpisode(open)
	for _, a := range []world.Action{world.Right, world.Down, world.Right} { // eat the green apple at (3, 2)
		e.Step(a)
	}
	if e.Pos() != (world.Point{X: 3, Y: 2}) || !e.Eaten(0) {
		t.Fatalf("setup: at %v, eaten %t", e.Pos(), e.Eaten(0))
	}
	p.Reset(world.NewEpisode(open))
	p.Probs(&probs, e)
	if want := (agents.Probs{1.0 / 3, 1.0 / 3, 0, 1.0 / 3}); probs != want {
		t.Errorf("fallback in the open: %v, want %v", probs, want)
	}
}

func TestScriptedObjective(t *testing.T) {
	tests := []struct{ spec, objective, canonical string }{
		{"oracle", "exit", "oracle"},
		{"oracle@beta=0", "exit", "oracle"},
		{"oracle@beta=2", "exit", "oracle@beta=2"},
		{"to-colour:green", "colour:green", "to-colour:green"},
		{"to-region:bottom-right", "region:bottom-right", "to-region:bottom-right"},
		{"to-region:bottom-right:1", "region:bottom-right", "to-region:bottom-right"},
		{"to-region:top-left:3@beta=1.5", "region:top-left:3", "to-region:top-left:3@beta=1.5"},
		{"to-region:anywhere", "region:anywhere", "to-region:anywhere"},
		{"nearest-object", "nearest-object", "nearest-object"},
		{"to-kind:apple@beta=2", "kind:apple", "to-kind:apple@beta=2"},
		{"random", "none", "random"},
		{"deceptive:to-colour:green", "deceptive(colour:green)", "deceptive:to-colour:green"},
		{"deceptive:to-region:bottom-right@beta=2", "deceptive(region:bottom-right)", "deceptive:to-region:bottom-right@beta=2"},
		{"deceptive:random", "deceptive(none)", "deceptive:random"},
		{"explorer", "exit", "explorer"},
		{"explorer:2", "exit", "explorer"},
		{"explorer:5", "exit", "explorer:5"},
	}
	for _, tt := range tests {
		s := mustScripted(t, tt.spec)
		if got := s.Objective(); got != tt.objective {
			t.Errorf("%s: Objective() = %q, want %q", tt.spec, got, tt.objective)
		}
		if got := s.Spec(); got != tt.canonical {
			t.Errorf("%s: Spec() = %q, want %q", tt.spec, got, tt.canonical)
		}
	}
	// The constructors agree with the parser.
	region, err := agents.ToRegion(world.Placement{Region: "bottom-right", Size: 1}, agents.Rationality{})
	if err != nil {
		t.Fatal(err)
	}
	dec, err := agents.Deceptive(agents.ToColour(world.Green, agents.Rationality{Beta: 2}))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s    *agents.Scripted
		spec string
	}{
		{agents.Oracle(agents.Rationality{}), "oracle"},
		{agents.ToColour(world.Red, agents.Rationality{}), "to-colour:red"},
		{region, "to-region:bottom-right"},
		{agents.ToNearestObject(agents.Rationality{Beta: 1}), "nearest-object@beta=1"},
		{agents.ToApples(agents.Rationality{}), "to-kind:apple"},
		{agents.RandomWalk(), "random"},
		{dec, "deceptive:to-colour:green@beta=2"},
	} {
		if got := c.s.Spec(); got != c.spec {
			t.Errorf("Spec() = %q, want %q", got, c.spec)
		}
	}
	if _, err := agents.Deceptive(dec); err == nil {
		t.Error("Deceptive(deceptive) succeeded")
	}
	if _, err := agents.Deceptive(nil); err == nil {
		t.Error("Deceptive(nil) succeeded")
	}
	if _, err := agents.ToRegion(world.Placement{Region: "middle"}, agents.Rationality{}); err == nil {
		t.Error("ToRegion(middle) succeeded")
	}
}

func TestNearestObject(t *testing.T) {
	// The red apple is nearer than the exit, so it comes first.
	l := parseLevel(t, appleOnTheWay)
	var r agents.Runner
	s := r.Run(mustScripted(t, "nearest-object"), l, seeds.New(7, "nearest"))
	if !s.HasFirst || s.First.Kind != world.Apple || s.FirstStep != 2 || !s.ReachedExit || s.Steps != 10 {
		t.Errorf("summary %+v, want the apple on step 2, then the exit on step 10", s)
	}
}

func TestScriptedNoAllocs(t *testing.T) {
	levels := trainAndDeploy(t, 2)
	for _, spec := range scriptedSpecs {
		p := mustScripted(t, spec)
		e := world.NewEpisode(levels[0])
		for _, l := range levels { // size the buffers for every level
			e.Reset(l)
			p.Reset(e)
		}
		var probs agents.Probs
		rng := seeds.New(8, spec)
		k := 0
		allocs := testing.AllocsPerRun(200, func() {
			if e.Done() {
				e.Reset(levels[k%len(levels)])
				k++
				p.Reset(e)
			}
			p.Probs(&probs, e)
			e.Step(agents.Sample(&probs, rng))
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per step", spec, allocs)
		}
	}
}

// TestExplorer: the explorer sees a radius-2 window; it walks straight to an
// exit in sight, explores depth first otherwise, never walks into a passage
// its window shows to be a dead end, and reaches the exit of every training
// and deployment level.
func TestExplorer(t *testing.T) {
	p := mustScripted(t, "explorer")
	if v := agents.ViewOf(p); v != (agents.View{Window: true, Radius: 2}) {
		t.Errorf("view %+v, want a radius-2 window", v)
	}
	if v := agents.ViewOf(mustScripted(t, "oracle")); v != (agents.View{}) {
		t.Errorf("oracle's view %+v, want the whole level", v)
	}
	// The exit is two cells right of the start: straight there. The
	// dead end down at (1, 2)-(1, 3) is in sight from the start.
	l := parseLevel(t, `mesa-level v1 steps=50
#########
#S.A....#
#.#####.#
#.#######
#########
`)
	var tr agents.Trajectory
	r := agents.Runner{Trajectory: &tr}
	if s := r.Run(p, l, seeds.New(1, "explorer")); !s.ReachedExit || s.Steps != 2 {
		t.Errorf("exit in sight: %+v, want it in 2 steps", s)
	}
	// The exit out of sight at the far end; a visible dead end down the
	// first passage is never entered.
	l = parseLevel(t, `mesa-level v1 steps=80
###############
#S...........A#
#.#############
###############
###############
`)
	for k := range 20 {
		s := r.Run(p, l, seeds.New(2, "explorer", uint64(k)))
		if !s.ReachedExit || s.Steps != 12 {
			t.Errorf("run %d: %+v, want the exit in 12 steps (no detour into the visible dead end)", k, s)
		}
	}
	levels := trainAndDeploy(t, 100)
	for i, l := range levels {
		if s := r.Run(p, l, seeds.New(3, "explorer", uint64(i))); !s.ReachedExit {
			t.Errorf("level %d (%dx%d): the explorer did not reach the exit in %d steps", i, l.Width, l.Height, s.Steps)
		}
	}
}
