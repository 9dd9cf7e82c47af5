package curriculum

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/traintest"
	"github.com/mesa-alignment/mesa/world"
)

// trainGen returns the generator of the talk's training mazes.
func trainGen(t *testing.T) *world.Generator {
	t.Helper()
	d, err := world.Preset("train")
	if err != nil {
		t.Fatal(err)
	}
	g, err := world.NewGenerator(d)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// play returns a scripted agent's greedy return on each level, scored by
// world.Sooner.
func play(t *testing.T, spec string, levels []*world.Level) []float64 {
	return playBy(t, spec, levels, world.Sooner)
}

func playBy(t *testing.T, spec string, levels []*world.Level, rule world.BaseReturn) []float64 {
	t.Helper()
	p, err := agents.ScriptedByName(spec)
	if err != nil {
		t.Fatal(err)
	}
	var r agents.Runner
	r.Greedy, r.BaseReturn = true, rule
	out := make([]float64, len(levels))
	for k, l := range levels {
		out[k] = r.Run(p, l, nil).Return
	}
	return out
}

// TestReplayProbabilities pins the replay distribution to its formula,
// P = (1−ρ)·P_S + ρ·P_C, on a buffer whose scores and last plays are set
// by hand, and the sampled slots to P.
func TestReplayProbabilities(t *testing.T) {
	g := trainGen(t)
	src, err := Replay{Buffer: 4, Temperature: 0.5, Staleness: 0.25, New: 0.2}.Source(g, world.Sooner, 3, "test")
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*source)
	// Scores 0.1, 0.7, 0.7, 0.3 (entries 1 and 2 tie: 1 is older and
	// ranks first); last played at iterations 1, 2, 3, 3; now iteration 4.
	for i, e := range []struct {
		score float64
		last  int
	}{{0.1, 1}, {0.7, 2}, {0.7, 3}, {0.3, 3}} {
		s.buf = append(s.buf, entry{level: g.Level(uint64(i)), score: e.score, last: e.last, seq: i})
	}
	s.iter = 4
	s.probabilities()
	rank := []float64{4, 1, 2, 3}
	stale := []float64{3, 2, 1, 1}
	var hSum, cSum float64
	for i := range rank {
		hSum += math.Pow(rank[i], -1/0.5)
		cSum += stale[i]
	}
	for i := range rank {
		want := 0.75*math.Pow(rank[i], -1/0.5)/hSum + 0.25*stale[i]/cSum
		if math.Abs(s.prob[i]-want) > 1e-12 {
			t.Errorf("P(%d) = %v, want %v", i, s.prob[i], want)
		}
	}
	// Levels at iteration 4 (s.iter becomes 5 inside): replayed slots
	// must follow P at that iteration; new slots have probability 0.2.
	const n = 20000
	counts := make([]int, len(s.buf))
	newSlots := 0
	for it := range n / 4 {
		s.iter = 3 // no Update: every call draws at iteration 4
		src.Levels(it, 4)
		for _, sl := range s.slots {
			if sl.entry >= 0 {
				counts[sl.entry]++
			} else {
				newSlots++
			}
		}
	}
	s.probabilities() // P at the iteration the slots were drawn
	replayed := float64(n - newSlots)
	if got := float64(newSlots) / n; math.Abs(got-0.2) > 0.015 {
		t.Errorf("new slots %.3f, want 0.2", got)
	}
	for i, c := range counts {
		p := s.prob[i]
		sd := math.Sqrt(p * (1 - p) / replayed)
		if got := float64(c) / replayed; math.Abs(got-p) > 5*sd {
			t.Errorf("entry %d replayed %.4f of replayed slots, P = %.4f (sd %.4f)", i, got, p, sd)
		}
	}
}

// TestReplayBuffer pins the buffer's updates: replayed levels take their
// new regret and become fresh, a new level replaces the lowest score only
// if its regret is higher, and levels stay new while the buffer is
// smaller than an iteration.
func TestReplayBuffer(t *testing.T) {
	g := trainGen(t)
	src, err := Replay{Buffer: 3, New: 0.5}.Source(g, world.Sooner, 5, "test")
	if err != nil {
		t.Fatal(err)
	}
	s := src.(*source)
	ls := src.Levels(1, 3)
	for k, l := range ls {
		if s.slots[k].origin != train.New {
			t.Fatalf("iteration 1 slot %d: origin %v with an empty buffer", k, s.slots[k].origin)
		}
		if want := train.Levels(g, 5, "test", 1, 3)[k]; l.Seed != want.Seed {
			t.Errorf("new level %d: seed %d, train.Random's %d", k, l.Seed, want.Seed)
		}
	}
	var o train.Oracle
	rets := []float64{o.Return(ls[0]), 0, o.Return(ls[2]) / 2}
	stats := src.Update(1, rets)
	for k, st := range stats {
		if st.Oracle != o.Return(ls[k]) || st.Regret != st.Oracle-rets[k] || st.Buffer != 3 {
			t.Errorf("level %d: %+v, want oracle %v, regret oracle − %v, buffer 3", k, st, o.Return(ls[k]), rets[k])
		}
	}
	// A full buffer: iteration 2 replays or draws new levels.
	ls = src.Levels(2, 3)
	rets = rets[:0]
	for k, l := range ls {
		if s.slots[k].origin == train.New {
			rets = append(rets, 0) // maximal regret: replaces the lowest score
		} else {
			rets = append(rets, o.Return(l)) // regret 0 now
		}
	}
	before := slices.Clone(s.buf)
	src.Update(2, rets)
	for k, sl := range s.slots {
		if sl.entry >= 0 {
			if e := s.buf[sl.entry]; e.score != 0 || e.last != 2 {
				t.Errorf("replayed entry %d: score %v last %d, want 0 and 2", sl.entry, e.score, e.last)
			}
			continue
		}
		if !slices.ContainsFunc(s.buf, func(e entry) bool { return e.level == ls[k] }) {
			t.Errorf("new level %d with the highest regret did not enter the buffer %v (was %v)", k, s.buf, before)
		}
	}
}

// TestOracleReturn checks the oracle's return against traintest.Optimum,
// the return of the scripted oracle's shortest path.
func TestOracleReturn(t *testing.T) {
	g := trainGen(t)
	for _, rule := range []world.BaseReturn{world.Sooner, world.Binary} {
		o := train.Oracle{Rule: rule}
		for s := range uint64(20) {
			l := g.Level(s)
			want, err := traintest.Optimum(rule, []*world.Level{l})
			if err != nil {
				t.Fatal(err)
			}
			if got := o.Return(l); math.Abs(got-want) > 1e-12 {
				t.Errorf("%v level %d: oracle %v, optimum %v", rule, s, got, want)
			}
			if got := playBy(t, "oracle", []*world.Level{l}, rule)[0]; math.Abs(got-want) > 1e-12 {
				t.Errorf("%v level %d: scripted oracle %v, optimum %v", rule, s, got, want)
			}
		}
	}
}

// TestEditsValid checks that every child the adversary makes is a valid
// level of its parent's size and start, its floor connected, its exit
// reachable from the start within the step limit, and that some children
// differ in each feature an edit touches.
func TestEditsValid(t *testing.T) {
	g := trainGen(t)
	ed := &editor{share: 1, edits: 3}
	rng := rand.New(rand.NewPCG(1, 2))
	var moved, recoloured, apples, walls int
	var o train.Oracle
	for s := range uint64(300) {
		p := g.Level(s)
		c := ed.child(p, rng)
		if _, err := world.NewLevel(*c); err != nil {
			t.Fatalf("child of level %d: %v", s, err)
		}
		if c.Width != p.Width || c.Height != p.Height || c.Start != p.Start || c.StepLimit != p.StepLimit || c.Cue != p.Cue {
			t.Fatalf("child of level %d changed size, start, step limit or cue", s)
		}
		if !c.Connected() {
			t.Fatalf("child of level %d: floor not connected", s)
		}
		if o.Return(c) <= 0 {
			t.Fatalf("child of level %d: the oracle cannot reach the exit in time", s)
		}
		if c.Exit.Pos != p.Exit.Pos {
			moved++
		}
		if c.Exit.Colour != p.Exit.Colour {
			recoloured++
		}
		if !slices.Equal(c.Apples, p.Apples) {
			apples++
		}
		if !slices.Equal(c.Walls, p.Walls) {
			walls++
		}
	}
	if moved == 0 || recoloured == 0 || apples == 0 || walls == 0 {
		t.Errorf("over 300 children: exit moved %d, exit recoloured %d, apples changed %d, walls changed %d; want each > 0",
			moved, recoloured, apples, walls)
	}
}

// TestAdversaryFindsRegret drives the sources with a scripted agent that
// ignores the exit and goes to the training corner: on the training
// distribution it is as good as the oracle (regret 0 on every fresh
// level), so replay finds nothing, while the adversary's edits (moving or
// recolouring the exit) find levels of positive regret and keep them.
func TestAdversaryFindsRegret(t *testing.T) {
	g := trainGen(t)
	drive := func(c train.Curriculum) (maxRegret float64, edited int) {
		src, err := c.Source(g, world.Sooner, 11, "test")
		if err != nil {
			t.Fatal(err)
		}
		for it := range 30 {
			ls := src.Levels(it, 8)
			for _, st := range src.Update(it, play(t, "to-region:bottom-right", ls)) {
				maxRegret = max(maxRegret, st.Regret)
				if st.Origin == train.Edited {
					edited++
				}
			}
		}
		return maxRegret, edited
	}
	if r, _ := drive(Replay{Buffer: 16}); r > 1e-12 {
		t.Errorf("replay on the training distribution: max regret %v against the corner agent, want 0", r)
	}
	r, edited := drive(Adversary{Replay: Replay{Buffer: 16}})
	if edited == 0 || r <= 0.5 {
		t.Errorf("adversary: %d edited levels, max regret %v; want edits and a regret > 0.5", edited, r)
	}
}

// TestSourcesDeterministic checks that a source's levels depend on the
// seed and the returns it was told, nothing else: two sources of the same
// seed fed the same returns hand out the same levels.
func TestSourcesDeterministic(t *testing.T) {
	g := trainGen(t)
	for _, c := range []train.Curriculum{Replay{Buffer: 8}, Adversary{Replay: Replay{Buffer: 8}}} {
		var runs [2][]uint64
		for r := range runs {
			src, err := c.Source(g, world.Sooner, 7, "test")
			if err != nil {
				t.Fatal(err)
			}
			for it := range 20 {
				ls := src.Levels(it, 6)
				for _, l := range ls {
					runs[r] = append(runs[r], l.Seed)
				}
				src.Update(it, play(t, "to-colour:green", ls))
			}
		}
		if !slices.Equal(runs[0], runs[1]) {
			t.Errorf("%s: two sources of one seed handed out different levels", c.Name())
		}
	}
}

func TestSettingsValidate(t *testing.T) {
	for _, tc := range []struct {
		c    interface{ Validate() error }
		want string
	}{
		{Replay{}, ""},
		{Replay{Buffer: -1}, "buffer"},
		{Replay{Temperature: -1}, "temperature"},
		{Replay{Staleness: 2}, "staleness"},
		{Replay{Staleness: math.NaN()}, "staleness"},
		{Replay{New: 1.5}, "new"},
		{Adversary{}, ""},
		{Adversary{Edit: 2}, "edit"},
		{Adversary{Edits: 101}, "edits"},
	} {
		err := tc.c.Validate()
		if (err == nil) != (tc.want == "") || err != nil && !startsWith(err.Error(), tc.want+":") {
			t.Errorf("%+v: %v, want an error naming %q", tc.c, err, tc.want)
		}
	}
}

func startsWith(s, prefix string) bool { return len(s) >= len(prefix) && s[:len(prefix)] == prefix }
