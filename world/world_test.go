package world_test

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/world"
	"github.com/mesa-alignment/mesa/world/worldtest"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

func preset(t testing.TB, name string) world.Distribution {
	t.Helper()
	d, err := world.Preset(name)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestPresetsKeepContract runs the conformance suite on every preset and on
// variants with loops, rectangles and randomisation.
func TestPresetsKeepContract(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 300
	}
	dists := map[string]world.Distribution{}
	for _, name := range world.PresetNames() {
		dists[name] = preset(t, name)
	}
	loopy := preset(t, "train")
	loopy.Loops = 0.3
	dists["train+loops"] = loopy
	rect := preset(t, "deploy")
	rect.Height = world.IntRange{Min: 5, Max: 9}
	rect.Apples.Count = world.IntRange{Min: 0, Max: 4}
	dists["deploy+rect"] = rect
	half := preset(t, "train")
	half.Randomize = 0.5
	half.Start = world.Placement{Region: "anywhere"}
	half.Exit.Colours = []string{"green", "blue", "yellow"}
	dists["train+half-random"] = half
	corner := preset(t, "train")
	corner.Exit.Size = 5
	corner.Start = world.Placement{Region: "bottom-right", Size: 3}
	dists["train+big-corner"] = corner
	for name, d := range dists {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := worldtest.TestDistribution(d, n); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestRandomizeFraction checks that randomised levels really are: their
// exits leave the bottom-right corner and change colour at the rates uniform
// draws give.
func TestRandomizeFraction(t *testing.T) {
	d := preset(t, "train")
	d.Randomize = 0.3
	g, err := world.NewGenerator(d)
	if err != nil {
		t.Fatal(err)
	}
	n, randomized, green, corner := 4000, 0, 0, 0
	for s := range n {
		l := g.Level(uint64(s))
		if !l.Randomized {
			continue
		}
		randomized++
		if l.Exit.Colour == world.Green {
			green++
		}
		if l.Exit.Pos == (world.Point{X: l.Width - 2, Y: l.Height - 2}) {
			corner++
		}
	}
	if want := 0.3 * float64(n); abs(float64(randomized)-want) > 5*sqrt(float64(n)*0.3*0.7) {
		t.Errorf("%d randomised of %d, want about %.0f", randomized, n, want)
	}
	// A randomised exit is green with probability 1/8.
	if p := float64(green) / float64(randomized); p < 0.07 || p > 0.19 {
		t.Errorf("randomised exits green %.3f of the time, want about 0.125", p)
	}
	if p := float64(corner) / float64(randomized); p > 0.05 {
		t.Errorf("randomised exits in the corner %.3f of the time", p)
	}
}

func abs(x float64) float64 {
	if x < 0 {
		return -x
	}
	return x
}

func sqrt(x float64) float64 {
	z := x
	for range 50 {
		z = (z + x/z) / 2
	}
	return z
}

func TestValidateNamesField(t *testing.T) {
	tests := []struct {
		edit func(*world.Distribution)
		want string
	}{
		{func(d *world.Distribution) { d.Exit.Region = "botom-right" }, `exit.region: unknown region "botom-right"`},
		{func(d *world.Distribution) { d.Start.Region = "" }, `start.region: missing`},
		{func(d *world.Distribution) { d.Exit.Size = 0 }, `exit.size: 0 out of range`},
		{func(d *world.Distribution) { d.Exit.Colours = []string{"green", "teal"} }, `exit.colours[1]: unknown colour "teal"`},
		{func(d *world.Distribution) { d.Exit.Colours = nil }, `exit.colours: at least one colour`},
		{func(d *world.Distribution) { d.Width = world.IntRange{Min: 3, Max: 9} }, `width: range [3, 9]`},
		{func(d *world.Distribution) { d.Width = world.IntRange{Min: 8, Max: 8} }, `width: range [8, 8] holds no odd size`},
		{func(d *world.Distribution) { d.Width = world.IntRange{Min: 11, Max: 7} }, `width: range [11, 7]`},
		{func(d *world.Distribution) { d.Height = world.IntRange{Min: 1, Max: 1} }, `height: range`},
		{func(d *world.Distribution) { d.Loops = 1.5 }, `loops: 1.5 out of range`},
		{func(d *world.Distribution) { d.Randomize = -0.1 }, `randomize: -0.1 out of range`},
		{func(d *world.Distribution) { d.StepLimit = -1 }, `step_limit: -1`},
		{func(d *world.Distribution) { d.Apples.Count = world.IntRange{Min: 2, Max: 1} }, `apples.count: range [2, 1]`},
		{func(d *world.Distribution) { d.Apples.Count = world.IntRange{Min: 0, Max: 60} }, `apples.count: max 60 does not fit`},
		{func(d *world.Distribution) { d.Apples.Colours = nil }, `apples.colours: at least one colour`},
		{func(d *world.Distribution) { d.Start = world.Placement{Region: "bottom-right", Size: 1} }, `exit.region: the 1x1 bottom-right corner is also the only start cell`},
		{func(d *world.Distribution) { d.Exit.Placement = world.Placement{Region: "anywhere", Size: 2} }, `exit.size: 2 given for region anywhere`},
	}
	for _, tt := range tests {
		d := preset(t, "train")
		tt.edit(&d)
		err := d.Validate()
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Validate() = %v, want prefix %q", err, tt.want)
		}
		if _, err := d.Level(1); err == nil {
			t.Errorf("Level accepted an invalid distribution (%s)", tt.want)
		}
	}
}

// TestGolden pins the levels of fixed seeds: a change to generation changes
// every experiment, so it must be deliberate (go test ./world -update).
func TestGolden(t *testing.T) {
	for _, name := range []string{"train", "deploy", "deploy-colour", "deploy-region", "train-randomized"} {
		for _, seed := range []uint64{0, 1, 12345} {
			l, err := preset(t, name).Level(seed)
			if err != nil {
				t.Fatal(err)
			}
			got := world.Format(l)
			path := filepath.Join("testdata", "golden", fmt.Sprintf("%s-%d.level", name, seed))
			if *update {
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				continue
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./world -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s seed %d changed:\ngot\n%s\nwant\n%s", name, seed, got, want)
			}
		}
	}
}

func TestParseFixtures(t *testing.T) {
	for _, fx := range fixtures(t) {
		f, text := fx.path, fx.text
		l, err := world.Parse(text)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if got := world.Format(l); !bytes.Equal(got, text) {
			t.Errorf("%s: Format(Parse(text)) differs:\n%s", f, got)
		}
	}
}

// A fixture is a testdata/*.level file.
type fixture struct {
	path string
	text []byte
}

// fixtures returns every testdata/*.level file, in path order.
func fixtures(t *testing.T) []fixture {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.level"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	var fs []fixture
	for _, f := range files {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, fixture{f, text})
	}
	return fs
}

func TestParseErrors(t *testing.T) {
	const body = "#####\n#S.G#\n#####\n"
	tests := []struct{ text, want string }{
		{"", "line 1: empty level text"},
		{"mesa-level v2 steps=3\n" + body, "line 1, column 1: header must start with"},
		{"mesa-level v1\n" + body, "line 1: header has no steps=N field"},
		{"mesa-level v1 steps=x\n" + body, `line 1, column 15: field steps: bad value "x"`},
		{"mesa-level v1 steps=0\n" + body, `line 1, column 15: field steps: bad value "0": out of range`},
		{"mesa-level v1 steps=3 cue=maybe\n" + body, `line 1, column 23: field cue: bad value "maybe"`},
		{"mesa-level v1 steps=3 colour=red\n" + body, `line 1, column 23: unknown field "colour"`},
		{"mesa-level v1 steps=3 steps=4\n" + body, `line 1, column 23: field "steps" given twice`},
		{"mesa-level v1 steps=3 junk\n" + body, `line 1, column 23: field "junk" is not key=value`},
		{"mesa-level v1 steps=3\n#####\n#S.G#\n", "line 4: 2 maze rows, need at least 3"},
		{"mesa-level v1 steps=3\n#####\n#S.G#\n####\n", "line 4: row has 4 cells"},
		{"mesa-level v1 steps=3\n#####\n#S.G.\n#####\n", "line 3, column 5: border cell '.' must be wall"},
		{"mesa-level v1 steps=3\n#####\n#SxG#\n#####\n", "line 3, column 3: unknown cell 'x'"},
		{"mesa-level v1 steps=3\n#####\n#SSG#\n#####\n", "line 3, column 3: second start"},
		{"mesa-level v1 steps=3\n#####\n#SGG#\n#####\n", "line 3, column 4: second exit 'G'"},
		{"mesa-level v1 steps=3\n#####\n#..G#\n#####\n", "line 2: no start"},
		{"mesa-level v1 steps=3\n#####\n#S.g#\n#####\n", "line 2: no exit"},
	}
	for _, tt := range tests {
		_, err := world.Parse([]byte(tt.text))
		if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want prefix %q", tt.text, err, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.level"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte("mesa-level v1 steps=3\n#####\n#S.G#\n#####\n"))
	f.Add([]byte("mesa-level v1 steps=9 cue=true seed=3 randomized=true\n#####\n#S.G#\n#.r.#\n#####\n"))
	f.Fuzz(func(t *testing.T, text []byte) {
		l, err := world.Parse(text)
		if err != nil {
			return
		}
		// Whatever parses prints canonically and parses back to the same
		// level, and can be played.
		again, err := world.Parse(world.Format(l))
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if !worldtest.Equal(l, again) {
			t.Fatalf("round trip changed the level")
		}
		e := world.NewEpisode(l)
		for i := 0; !e.Done() && i < 50; i++ {
			e.Step(world.Action(i % 4))
		}
	})
}

func mustParse(t testing.TB, text string) *world.Level {
	t.Helper()
	l, err := world.Parse([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// corridor: S at (1,1), apples at (2,1) red and (3,1) green, exit at (4,1);
// a side cell below the start at (1,2).
const corridor = `mesa-level v1 steps=6
######
#SrgG#
#.####
######
`

func TestEngine(t *testing.T) {
	type want struct {
		pos     world.Point
		object  int
		visits  int
		moved   bool
		reward  float64
		done    bool
		eaten   int
		reached bool
	}
	tests := []struct {
		name    string
		rule    world.BaseReturn
		actions []world.Action
		want    []want
	}{
		{"wall blocks and costs a step", world.Sooner, []world.Action{world.Up, world.Left},
			[]want{{world.Point{1, 1}, -1, 2, false, 0, false, 0, false}, {world.Point{1, 1}, -1, 3, false, 0, false, 0, false}}},
		{"apples are eaten once", world.Sooner, []world.Action{world.Right, world.Left, world.Right},
			[]want{{world.Point{2, 1}, 1, 1, true, 0, false, 1, false}, {world.Point{1, 1}, -1, 2, true, 0, false, 1, false}, {world.Point{2, 1}, -1, 2, true, 0, false, 1, false}}},
		// Step 3 of 6: 1 − 0.9·3/6.
		{"exit ends with the sooner return", world.Sooner, []world.Action{world.Right, world.Right, world.Right, world.Right},
			[]want{{world.Point{2, 1}, 1, 1, true, 0, false, 1, false}, {world.Point{3, 1}, 2, 1, true, 0, false, 2, false}, {world.Point{4, 1}, 0, 1, true, 0.55, true, 2, true}, {world.Point{4, 1}, -1, 0, false, 0, true, 2, true}}},
		{"exit ends with the binary return 1", world.Binary, []world.Action{world.Right, world.Right, world.Right, world.Right},
			[]want{{world.Point{2, 1}, 1, 1, true, 0, false, 1, false}, {world.Point{3, 1}, 2, 1, true, 0, false, 2, false}, {world.Point{4, 1}, 0, 1, true, 1, true, 2, true}, {world.Point{4, 1}, -1, 0, false, 0, true, 2, true}}},
		{"step limit ends with reward 0", world.Sooner, []world.Action{world.Down, world.Up, world.Down, world.Up, world.Down, world.Up, world.Right},
			[]want{{world.Point{1, 2}, -1, 1, true, 0, false, 0, false}, {world.Point{1, 1}, -1, 2, true, 0, false, 0, false}, {world.Point{1, 2}, -1, 2, true, 0, false, 0, false}, {world.Point{1, 1}, -1, 3, true, 0, false, 0, false}, {world.Point{1, 2}, -1, 3, true, 0, false, 0, false}, {world.Point{1, 1}, -1, 4, true, 0, true, 0, false}, {world.Point{1, 1}, -1, 0, false, 0, true, 0, false}}},
	}
	l := mustParse(t, corridor)
	e := world.NewEpisode(l)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.SetBaseReturn(tt.rule)
			e.Reset(l)
			for i, a := range tt.actions {
				s := e.Step(a)
				w := tt.want[i]
				got := want{s.Pos, int(s.Object), int(s.Visits), s.Moved, s.Reward, s.Done, e.ApplesEaten(), e.ReachedExit()}
				if got != w {
					t.Fatalf("step %d (%v): got %+v, want %+v", i, a, got, w)
				}
			}
			if got, want := e.Return(), tt.rule.Return(e.ReachedExit(), e.Steps(), l.StepLimit); got != want {
				t.Errorf("Return %v after %d steps, want %v", got, e.Steps(), want)
			}
			if e.BaseReturn() != tt.rule {
				t.Errorf("Reset changed the rule to %v", e.BaseReturn())
			}
		})
	}
	e.Reset(l)
	if e.Steps() != 0 || e.ApplesEaten() != 0 || e.Visits(l.Index(l.Start)) != 1 || e.Done() {
		t.Error("Reset did not restore the start state")
	}
}

func TestWindow(t *testing.T) {
	l := mustParse(t, corridor)
	e := world.NewEpisode(l)
	w := world.Window{Radius: 1}
	obs := make([]float64, w.Len())
	if w.Len() != 9*world.CellChannels+world.NumGlobals {
		t.Fatalf("Len = %d", w.Len())
	}
	e.Step(world.Right) // eat the red apple, stand on (2,1)
	w.Observe(obs, e, nil)
	cell := func(dx, dy int) []float64 {
		k := ((dy+1)*3 + dx + 1) * world.CellChannels
		return obs[k : k+world.CellChannels]
	}
	// oneHot reports whether c is 1 on idx, visits on ChanVisits and 0
	// elsewhere.
	oneHot := func(c []float64, visits float64, idx ...int) bool {
		for i, v := range c {
			want := 0.0
			for _, j := range idx {
				if i == j {
					want = 1
				}
			}
			if i == world.ChanVisits {
				want = visits
			}
			if v != want {
				return false
			}
		}
		return true
	}
	checks := []struct {
		name   string
		dx, dy int
		visits float64
		want   []int
	}{
		{"wall above", 0, -1, 0, []int{world.ChanWall}},
		{"start visited once, left", -1, 0, 1.0 / 3, []int{world.ChanVisited}},
		{"self visited once, apple eaten", 0, 0, 1.0 / 3, []int{world.ChanVisited}},
		{"green apple right", 1, 0, 0, []int{world.ChanColour + int(world.Green), world.ChanKind + int(world.Apple)}},
		{"wall below", 0, 1, 0, []int{world.ChanWall}},
		{"floor down-left", -1, 1, 0, []int{}},
	}
	for _, c := range checks {
		if got := cell(c.dx, c.dy); !oneHot(got, c.visits, c.want...) {
			t.Errorf("%s: got %v", c.name, got)
		}
	}
	// Visits count up and saturate at MaxVisits.
	long := world.NewEpisode(mustParse(t, strings.Replace(corridor, "steps=6", "steps=20", 1)))
	long.Step(world.Right)
	for n, want := range []float64{2.0 / 3, 1, 1} { // start visits after each return
		long.Step(world.Left)
		long.Step(world.Right)
		w.Observe(obs, long, nil)
		if got := cell(-1, 0); !oneHot(got, want, world.ChanVisited) {
			t.Errorf("start visited %d times: got %v", n+2, got)
		}
		if got := cell(0, 0); !oneHot(got, want, world.ChanVisited) {
			t.Errorf("self visited %d times: got %v", n+2, got)
		}
	}
	g := obs[9*world.CellChannels:]
	if g[world.GlobalX] != 1.0/3 || g[world.GlobalY] != 0 || g[world.GlobalCue] != 0 {
		t.Errorf("globals %v", g)
	}
	// Outside the maze is wall.
	w2 := world.Window{Radius: 3}
	obs2 := make([]float64, w2.Len())
	w2.Observe(obs2, e, nil)
	if obs2[world.ChanWall] != 1 {
		t.Error("cell outside the maze is not wall")
	}
}

func TestNoiseDeterministic(t *testing.T) {
	l := mustParse(t, corridor)
	e := world.NewEpisode(l)
	w := world.Window{Radius: 2, Noise: world.Noise{Kind: 1, Colour: 0.1}}
	a, b := make([]float64, w.Len()), make([]float64, w.Len())
	w.Observe(a, e, rand.New(rand.NewPCG(1, 2)))
	w.Observe(b, e, rand.New(rand.NewPCG(1, 2)))
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Error("same noise source gave different observations")
	}
	clean := make([]float64, w.Len())
	(world.Window{Radius: 2}).Observe(clean, e, nil)
	var dKind, dColour, dWall float64
	for c := 0; c < 25*world.CellChannels; c += world.CellChannels {
		dWall += abs(a[c+world.ChanWall] - clean[c+world.ChanWall])
		for k := world.ChanColour; k < world.ChanKind; k++ {
			dColour += abs(a[c+k] - clean[c+k])
		}
		for k := world.ChanKind; k < world.CellChannels; k++ {
			dKind += abs(a[c+k] - clean[c+k])
		}
	}
	dColour /= float64(world.NumColours)
	dKind /= float64(world.NumKinds)
	if dWall != 0 || !(dKind > 5*dColour) {
		t.Errorf("salience not honoured: wall %v colour %v kind %v", dWall, dColour, dKind)
	}
}

func TestPlanes(t *testing.T) {
	l := mustParse(t, corridor)
	e := world.NewEpisode(l)
	p := world.Planes{CornerSize: 1}
	dst := make([]float64, p.Len(l))
	p.Observe(dst, e, nil)
	names := world.FeatureNames()
	if len(names) != world.CellFeatures {
		t.Fatalf("%d names for %d features", len(names), world.CellFeatures)
	}
	feat := func(x, y int, name string) float64 {
		for k, n := range names {
			if n == name {
				return dst[l.Index(world.Point{X: x, Y: y})*world.CellFeatures+k]
			}
		}
		t.Fatalf("no feature %q", name)
		return 0
	}
	for _, c := range []struct {
		x, y int
		name string
		want float64
	}{
		{4, 1, "colour_green", 1}, {4, 1, "kind_exit", 1}, {4, 1, "region_top_right", 1},
		{2, 1, "colour_red", 1}, {2, 1, "kind_apple", 1}, {1, 1, "region_top_left", 1},
		{1, 2, "region_bottom_left", 1}, {0, 0, "region_top_left", 0}, {1, 1, "kind_exit", 0},
	} {
		if got := feat(c.x, c.y, c.name); got != c.want {
			t.Errorf("(%d,%d) %s = %v, want %v", c.x, c.y, c.name, got, c.want)
		}
	}
	e.Step(world.Right)
	p.Observe(dst, e, nil)
	if feat(2, 1, "kind_apple") != 0 {
		t.Error("eaten apple still in the planes")
	}
}

func TestObserveDoesNotAllocate(t *testing.T) {
	l, _ := preset(t, "train").Level(3)
	e := world.NewEpisode(l)
	w := world.Window{Radius: 2}
	obs := make([]float64, w.Len())
	p := world.Planes{}
	planes := make([]float64, p.Len(l))
	if n := testing.AllocsPerRun(100, func() {
		e.Step(world.Right)
		w.Observe(obs, e, nil)
		p.Observe(planes, e, nil)
		if e.Done() {
			e.Reset(l)
		}
	}); n != 0 {
		t.Errorf("%v allocations per step+observe", n)
	}
}

func TestDistances(t *testing.T) {
	l := mustParse(t, corridor)
	d := l.Distances(make([]int32, l.Width*l.Height), nil, l.Index(l.Start))
	if got := d[l.Index(l.Exit.Pos)]; got != 3 {
		t.Errorf("distance to exit %d, want 3", got)
	}
	if d[0] != -1 {
		t.Error("wall reachable")
	}
}

func TestRenderEpisode(t *testing.T) {
	l := mustParse(t, corridor)
	e := world.NewEpisode(l)
	e.Step(world.Right)
	want := "######\n#S@gG#\n#.####\n######\n"
	if got := string(l.Render(e)); got != want {
		t.Errorf("Render:\n%s\nwant\n%s", got, want)
	}
}

func BenchmarkLevel11(b *testing.B) {
	d := preset(b, "train")
	d.Width = world.IntRange{Min: 11, Max: 11}
	g, err := world.NewGenerator(d)
	if err != nil {
		b.Fatal(err)
	}
	var s uint64
	for b.Loop() {
		g.Level(s)
		s++
	}
}

func BenchmarkLevel21(b *testing.B) {
	d := preset(b, "deploy")
	d.Width = world.IntRange{Min: 21, Max: 21}
	g, _ := world.NewGenerator(d)
	var s uint64
	for b.Loop() {
		g.Level(s)
		s++
	}
}

func BenchmarkStep(b *testing.B) {
	d := preset(b, "train")
	d.Width = world.IntRange{Min: 11, Max: 11}
	d.StepLimit = 1 << 20
	l, _ := d.Level(1)
	e := world.NewEpisode(l)
	// A fixed pattern of moves that wanders and bumps into walls.
	acts := [8]world.Action{world.Right, world.Down, world.Left, world.Up, world.Down, world.Right, world.Up, world.Down}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if e.Step(acts[i&7]).Done {
			e.Reset(l)
		}
		i++
	}
}

func BenchmarkWindowRadius2(b *testing.B) {
	l, _ := preset(b, "train").Level(1)
	e := world.NewEpisode(l)
	w := world.Window{Radius: 2}
	obs := make([]float64, w.Len())
	b.ReportAllocs()
	for b.Loop() {
		w.Observe(obs, e, nil)
	}
}

func BenchmarkPlanes11(b *testing.B) {
	d := preset(b, "train")
	d.Width = world.IntRange{Min: 11, Max: 11}
	l, _ := d.Level(1)
	e := world.NewEpisode(l)
	p := world.Planes{}
	dst := make([]float64, p.Len(l))
	b.ReportAllocs()
	for b.Loop() {
		p.Observe(dst, e, nil)
	}
}

// TestRegionNames: Placement accepts exactly the names in Regions.
func TestRegionNames(t *testing.T) {
	for i, r := range world.Regions {
		size := 1
		if i == 0 {
			size = 0
		}
		if err := (world.Placement{Region: r, Size: size}).Validate("p"); err != nil {
			t.Errorf("%s: %v", r, err)
		}
	}
	if err := (world.Placement{Region: "botom-right", Size: 1}).Validate("p"); err == nil {
		t.Error("a misspelt region is accepted")
	}
}
