package agents_test

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// presetLevels returns n levels of a preset, seeds first..first+n-1.
func presetLevels(t testing.TB, preset string, first, n int) []*world.Level {
	t.Helper()
	d, err := world.Preset(preset)
	if err != nil {
		t.Fatal(err)
	}
	g, err := world.NewGenerator(d)
	if err != nil {
		t.Fatal(err)
	}
	ls := make([]*world.Level, n)
	for i := range ls {
		ls[i] = g.Level(uint64(first + i))
	}
	return ls
}

// trainAndDeploy returns n train levels and n deploy levels.
func trainAndDeploy(t testing.TB, n int) []*world.Level {
	return append(presetLevels(t, "train", 0, n), presetLevels(t, "deploy", 0, n)...)
}

func parseLevel(t testing.TB, text string) *world.Level {
	t.Helper()
	l, err := world.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// appleOnTheWay has the only path from the start to the exit through a red
// apple.
const appleOnTheWay = `mesa-level v1 steps=30
#######
#S.r..#
#####.#
#G....#
#######
`

func TestRunnerSummary(t *testing.T) {
	l := parseLevel(t, appleOnTheWay)
	var tr agents.Trajectory
	r := agents.Runner{Greedy: true, Trajectory: &tr}
	s := r.Run(agents.Oracle(agents.Rationality{}), l, nil)
	// The default rule, world.Sooner: 1 − 0.9·10/30.
	want := agents.Summary{Steps: 10, Return: 1 - 0.9*10.0/30, ReachedExit: true, ApplesEaten: 1,
		First: l.Apples[0], FirstStep: 2, HasFirst: true, Greedy: true}
	if s != want {
		t.Errorf("summary %+v, want %+v", s, want)
	}
	binary := agents.Runner{Greedy: true, BaseReturn: world.Binary}
	if s := binary.Run(agents.Oracle(agents.Rationality{}), l, nil); s.Return != 1 || binary.Episode().Return() != 1 {
		t.Errorf("binary return: summary %v, episode %v, want 1", s.Return, binary.Episode().Return())
	}
	if len(tr.Positions) != s.Steps+1 || len(tr.Actions) != s.Steps || len(tr.Objects) != s.Steps {
		t.Fatalf("trajectory lengths %d/%d/%d for %d steps", len(tr.Positions), len(tr.Actions), len(tr.Objects), s.Steps)
	}
	if tr.Positions[0] != l.Start || tr.Positions[s.Steps] != l.Exit.Pos {
		t.Errorf("trajectory from %v to %v, want %v to %v", tr.Positions[0], tr.Positions[s.Steps], l.Start, l.Exit.Pos)
	}
	// Replaying the actions gives the recorded cells and objects.
	e := world.NewEpisode(l)
	for i, a := range tr.Actions {
		st := e.Step(a)
		if st.Pos != tr.Positions[i+1] || st.Object != tr.Objects[i] {
			t.Errorf("step %d: replay at %v entering %d, recorded %v entering %d", i, st.Pos, st.Object, tr.Positions[i+1], tr.Objects[i])
		}
	}
	if got := slices.Index(tr.Objects, 1); got != want.FirstStep-1 {
		t.Errorf("apple entered on step index %d, want %d", got, want.FirstStep-1)
	}
	if r.Episode().Steps() != s.Steps || !r.Episode().Done() {
		t.Errorf("Episode() not left at the end of the run: %d steps, done %t", r.Episode().Steps(), r.Episode().Done())
	}
}

func TestRunnerTimeoutAndReuse(t *testing.T) {
	// The to-region agent avoids the exit, which is not in its region,
	// and sits in the bottom-right corner until the step limit.
	l := parseLevel(t, `mesa-level v1 steps=25
#######
#S..A.#
#.###.#
#.....#
#######
`)
	small := parseLevel(t, appleOnTheWay)
	p, err := agents.ToRegion(world.Placement{Region: "bottom-right", Size: 1}, agents.Rationality{})
	if err != nil {
		t.Fatal(err)
	}
	tr := &agents.Trajectory{}
	r := agents.Runner{Trajectory: tr}
	rng := seeds.New(1, "test")
	s := r.Run(p, l, rng)
	if s.Steps != 25 || s.Return != 0 || s.ReachedExit || s.HasFirst || s.Greedy {
		t.Errorf("summary %+v, want a 25-step timeout without objects, sampled", s)
	}
	if end := tr.Positions[len(tr.Positions)-1]; end != (world.Point{X: 5, Y: 3}) {
		t.Errorf("ended at %v, want the corner (5,3)", end)
	}
	// The trajectory restarts with each run.
	s = r.Run(agents.Oracle(agents.Rationality{}), small, rng)
	if len(tr.Positions) != s.Steps+1 || tr.Positions[0] != small.Start {
		t.Errorf("second run: %d positions from %v for %d steps", len(tr.Positions), tr.Positions[0], s.Steps)
	}
}

func TestRunnerGreedyMatchesArgmax(t *testing.T) {
	// A greedy run of a Boltzmann oracle follows a shortest path.
	for _, l := range trainAndDeploy(t, 5) {
		r := agents.Runner{Greedy: true}
		s := r.Run(agents.Oracle(agents.Rationality{Beta: 0.5}), l, nil)
		d := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Exit.Pos))
		if !s.ReachedExit || s.Steps != int(d[l.Index(l.Start)]) || !s.Greedy {
			t.Errorf("level %d: greedy Boltzmann oracle %+v, want the exit in %d steps", l.Seed, s, d[l.Index(l.Start)])
		}
	}
}

// fixedSource makes rand.Rand.Float64 return u (to 53 bits).
type fixedSource struct{ u float64 }

func (f fixedSource) Uint64() uint64 { return uint64(f.u * (1 << 53)) }

func TestSample(t *testing.T) {
	almostOne := 1 - math.Ldexp(1, -53)
	tests := []struct {
		name string
		p    agents.Probs
		u    float64
		want world.Action
	}{
		{"first", agents.Probs{0.25, 0.25, 0.25, 0.25}, 0, world.Up},
		{"boundary goes right", agents.Probs{0.25, 0.25, 0.25, 0.25}, 0.25, world.Right},
		{"last", agents.Probs{0.25, 0.25, 0.25, 0.25}, almostOne, world.Left},
		{"point mass", agents.Probs{0, 0, 1, 0}, 0, world.Down},
		{"point mass high u", agents.Probs{0, 0, 1, 0}, almostOne, world.Down},
		{"skips zero mass", agents.Probs{0.5, 0, 0.5, 0}, 0.6, world.Down},
		{"rounding remainder to last positive", agents.Probs{0.5, 0.4999999, 0, 0}, almostOne, world.Right},
		{"remainder never to zero mass", agents.Probs{0.3, 0.3, 0.3, 0}, 0.95, world.Down},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(fixedSource{tt.u})
			if got := agents.Sample(&tt.p, rng); got != tt.want {
				t.Errorf("Sample(%v, u=%v) = %v, want %v", tt.p, tt.u, got, tt.want)
			}
		})
	}
}

func TestSampleFrequencies(t *testing.T) {
	p := agents.Probs{0.1, 0.2, 0.3, 0.4}
	rng := seeds.New(3, "sample")
	const n = 100000
	var count [world.NumActions]int
	for range n {
		count[agents.Sample(&p, rng)]++
	}
	for a, c := range count {
		sd := math.Sqrt(n * p[a] * (1 - p[a]))
		if math.Abs(float64(c)-n*p[a]) > 5*sd {
			t.Errorf("action %d drawn %d times of %d, want %.0f ± %.0f", a, c, n, n*p[a], 5*sd)
		}
	}
}

func TestArgmax(t *testing.T) {
	tests := []struct {
		p    agents.Probs
		want world.Action
	}{
		{agents.Probs{0.25, 0.25, 0.25, 0.25}, world.Up},
		{agents.Probs{0.1, 0.4, 0.1, 0.4}, world.Right},
		{agents.Probs{0, 0, 0, 1}, world.Left},
		{agents.Probs{0.2, 0.3, 0.4, 0.1}, world.Down},
	}
	for _, tt := range tests {
		if got := agents.Argmax(&tt.p); got != tt.want {
			t.Errorf("Argmax(%v) = %v, want %v", tt.p, got, tt.want)
		}
	}
}

func TestSoftmax(t *testing.T) {
	inf := math.Inf(-1)
	e := math.E
	tests := []struct {
		name string
		q    [world.NumActions]float64
		beta float64
		want agents.Probs
	}{
		{"uniform", [4]float64{1, 1, 1, 1}, 3, agents.Probs{0.25, 0.25, 0.25, 0.25}},
		{"beta 1", [4]float64{1, 0, 0, 0}, 1, agents.Probs{e / (e + 3), 1 / (e + 3), 1 / (e + 3), 1 / (e + 3)}},
		{"beta scales", [4]float64{0.5, 0, 0, 0}, 2, agents.Probs{e / (e + 3), 1 / (e + 3), 1 / (e + 3), 1 / (e + 3)}},
		{"large values stay finite", [4]float64{1000, 1000, -1000, -1000}, 1, agents.Probs{0.5, 0.5, 0, 0}},
		{"-Inf gets zero", [4]float64{inf, 2, inf, 2}, 1, agents.Probs{0, 0.5, 0, 0.5}},
		{"-Inf gets zero at beta 0", [4]float64{inf, 2, 7, 2}, 0, agents.Probs{0, 1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{"-Inf gets zero at negative beta", [4]float64{inf, 1, 1, 1}, -1, agents.Probs{0, 1.0 / 3, 1.0 / 3, 1.0 / 3}},
		{"all -Inf is uniform", [4]float64{inf, inf, inf, inf}, 1, agents.Probs{0.25, 0.25, 0.25, 0.25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var p agents.Probs
			agents.Softmax(&p, &tt.q, tt.beta)
			for a := range p {
				if math.Abs(p[a]-tt.want[a]) > 1e-15 {
					t.Errorf("Softmax(%v, %v) = %v, want %v", tt.q, tt.beta, p, tt.want)
					break
				}
			}
		})
	}
}
