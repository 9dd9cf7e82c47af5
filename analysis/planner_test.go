package analysis_test

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/analysis"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/world"
)

// readoutFirst predicts, from θ and the map alone, which probe target a
// planner reaches first. The planner's infinite horizon is spent going
// somewhere along the shortest path and ending there, staying (by walking
// into a wall) or going back and forth with a neighbour c': the value of
// cell c is Σ_{t=1..d} γ^(t−1)·r(p_t) + γ^d·r(c)/(1−γ) for staying, or
// + γ^d·(r(c') + γ·r(c))/(1−γ²), with p the path to c and r = θ·ψ. It
// returns what that walk reaches first, or "nothing" if no walk has a
// positive value.
func readoutFirst(p *analysis.Probe, theta []float64, gamma float64, corner int) string {
	l := p.Level
	r := rewards(l, theta, corner)
	d := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Start))
	path := func(to int) []int {
		back := l.Distances(make([]int32, len(l.Walls)), nil, to)
		var cells []int
		for c := l.Index(l.Start); c != to; {
			for _, o := range l.Offsets() {
				if n := c + o; !l.Walls[n] && back[n] == back[c]-1 {
					c = n
					break
				}
			}
			cells = append(cells, c)
		}
		return cells
	}
	// Nearest cells first: of two cells worth the same (a region's cells
	// one behind the other), the planner ends at the nearer.
	cells := make([]int, 0, len(l.Walls))
	for c, wall := range l.Walls {
		if !wall && d[c] >= 0 {
			cells = append(cells, c)
		}
	}
	slices.SortStableFunc(cells, func(a, b int) int { return int(d[a] - d[b]) })
	best, at, other := 0.0, -1, -1
	for _, c := range cells {
		v, g := 0.0, 1.0
		for _, q := range path(c) {
			v += g * r[q]
			g *= gamma
		}
		if hasWall(l, c) {
			if e := v + g*r[c]/(1-gamma); e > best*(1+1e-9)+1e-12 {
				best, at, other = e, c, -1
			}
		}
		for _, o := range l.Offsets() {
			if n := c + o; !l.Walls[n] {
				if e := v + g*(r[n]+gamma*r[c])/(1-gamma*gamma); e > best*(1+1e-9)+1e-12 {
					best, at, other = e, c, n
				}
			}
		}
	}
	if at < 0 {
		return "nothing:" + drift(p, r)
	}
	pos := []world.Point{l.Start}
	for _, q := range path(at) {
		pos = append(pos, l.Point(q))
	}
	if other >= 0 {
		pos = append(pos, l.Point(other))
	}
	return p.First(pos)
}

// drift predicts where a greedy planner that values nothing goes: every
// value is at most 0, so it takes the first action (up, right, down, left)
// into a cell of the highest reward, until it stays put (a wall, or a
// cell it has been in) or enters a probe target.
func drift(p *analysis.Probe, r []float64) string {
	l := p.Level
	pos := []world.Point{l.Start}
	seen := map[int]bool{l.Index(l.Start): true}
	for c := l.Index(l.Start); ; {
		best, next := math.Inf(-1), c
		for _, o := range l.Offsets() {
			n := c + o
			if l.Walls[n] {
				n = c
			}
			if r[n] > best {
				best, next = r[n], n
			}
		}
		if seen[next] {
			return p.First(pos)
		}
		seen[next] = true
		pos = append(pos, l.Point(next))
		c = next
	}
}

func hasWall(l *world.Level, c int) bool {
	for _, o := range l.Offsets() {
		if l.Walls[c+o] {
			return true
		}
	}
	return false
}

// These tests show that the planner's objective is its readout and nothing
// else: the architecture adds no objective of its own.

// TestPlannerValuingNothingIsRandomWalk: with θ = 0 the planner acts
// exactly as the uniform random walk, step for step on the same random
// streams, so it reaches the exit exactly as often.
func TestPlannerValuingNothingIsRandomWalk(t *testing.T) {
	cs := defaultCandidates(t)
	p, err := analysis.NewProber(cs)
	if err != nil {
		t.Fatal(err)
	}
	planner := agents.Planner{}.Policy(make([]float64, world.CellFeatures))
	random := agents.RandomWalk()
	var a, b agents.Trajectory
	ra, rb := agents.Runner{Trajectory: &a}, agents.Runner{Trajectory: &b}
	for _, split := range []string{"train", "deploy", "probe"} {
		exits := 0
		for k := range 300 {
			var l *world.Level
			if split == "probe" {
				pr, err := p.Probe(k, uint64(k))
				if err != nil {
					t.Fatal(err)
				}
				l = pr.Level
			} else {
				d, _ := world.Preset(split)
				l, _ = d.Level(uint64(k))
			}
			sa := ra.Run(planner, l, seeds.New(2, "test/nothing", uint64(k)))
			sb := rb.Run(random, l, seeds.New(2, "test/nothing", uint64(k)))
			if !slices.Equal(a.Actions, b.Actions) {
				t.Fatalf("%s level %d: the planner valuing nothing and the random walk part ways", split, k)
			}
			if sa.ReachedExit {
				exits++
			}
			if sa != sb {
				t.Fatalf("%s level %d: summaries %+v and %+v differ", split, k, sa, sb)
			}
		}
		t.Logf("%s: both reach the exit on %d of 300 levels", split, exits)
	}
}

// TestPlannerDoesNotSeekUnvaluedExit: for random θ whose reward at the exit
// (its kind, colour and region features) is not positive, the greedy
// planner reaches the exit first on probe levels no more often than the
// random walk does. It reaches it only on the way to something it values.
func TestPlannerDoesNotSeekUnvaluedExit(t *testing.T) {
	cs := defaultCandidates(t)
	p, err := analysis.NewProber(cs)
	if err != nil {
		t.Fatal(err)
	}
	rng := seeds.New(3, "test/unvalued-exit")
	var tr agents.Trajectory
	greedy := agents.Runner{Greedy: true, Trajectory: &tr}
	walk := agents.Runner{Trajectory: &tr}
	names := world.FeatureNames()
	n, planner, random := 0, 0, 0
	for k := 0; n < 1000; k++ {
		theta := make([]float64, world.CellFeatures)
		for i := range theta {
			theta[i] = rng.NormFloat64()
		}
		theta[slices.Index(names, "kind_exit")] = -math.Abs(theta[slices.Index(names, "kind_exit")])
		pr, err := p.Probe(k, uint64(k))
		if err != nil {
			t.Fatal(err)
		}
		if rewards(pr.Level, theta, 0)[pr.Level.Index(pr.Level.Exit.Pos)] > 0 {
			continue // its colour or corner makes the exit valued
		}
		n++
		greedy.Run(agents.Planner{}.Policy(theta), pr.Level, nil)
		if pr.First(tr.Positions) == analysis.ProbeExit {
			planner++
		}
		walk.Run(agents.RandomWalk(), pr.Level, seeds.New(3, "test/unvalued-exit-walk", uint64(k)))
		if pr.First(tr.Positions) == analysis.ProbeExit {
			random++
		}
	}
	t.Logf("exit reached first on %d of %d probes by planners that do not value it, %d by the random walk", planner, n, random)
	if planner > random {
		t.Errorf("planners that do not value the exit reach it first on %d of %d probes, the random walk on %d", planner, n, random)
	}
}

// TestReadoutPredictsPlanner: for random θ ~ N(0, I), the readout alone
// (θ's rewards on the map, discounted along the shortest path to the cell
// the horizon is best spent in; see readoutFirst) predicts the first probe
// target the greedy planner reaches, on at least 95% of probes, and 99% of
// those where θ values some cell. Where it values none, the greedy planner
// goes where its tie-breaking takes it (see drift); the misses are mostly
// there, and where a detour through a valued apple beats the straight path.
func TestReadoutPredictsPlanner(t *testing.T) {
	for _, name := range []string{"default", "odd"} {
		t.Run(name, func(t *testing.T) {
			cs := defaultCandidates(t)
			if name == "odd" {
				var err error
				if cs, err = analysis.NewCandidates(oddTrain(t), 0); err != nil {
					t.Fatal(err)
				}
			}
			p, err := analysis.NewProber(cs)
			if err != nil {
				t.Fatal(err)
			}
			rng := seeds.New(4, "test/readout", 0)
			var tr agents.Trajectory
			r := agents.Runner{Greedy: true, Trajectory: &tr}
			const n = 1000
			agree, valued, agreeValued := 0, 0, 0
			for k := range n {
				theta := make([]float64, world.CellFeatures)
				for i := range theta {
					theta[i] = rng.NormFloat64()
				}
				pr, err := p.Probe(k, uint64(k))
				if err != nil {
					t.Fatal(err)
				}
				r.Run(agents.Planner{}.Policy(theta), pr.Level, nil)
				got := pr.First(tr.Positions)
				want := readoutFirst(pr, theta, 0.9, 0)
				if !strings.HasPrefix(want, "nothing") {
					valued++
					if got == want {
						agreeValued++
					}
				} else {
					want = strings.TrimPrefix(want, "nothing:")
				}
				if got == want {
					agree++
				}
			}
			t.Logf("readout predicts the first target on %d of %d probes (%d of %d where θ values some cell)", agree, n, agreeValued, valued)
			if agree < n*95/100 || agreeValued < valued*99/100 {
				t.Errorf("readout predicts %d of %d (%d of %d valued), want >= 95%% (99%%)", agree, n, agreeValued, valued)
			}
		})
	}
}

// rewards returns r_θ(cell) = θ·ψ(cell) for every cell of l at its start.
func rewards(l *world.Level, theta []float64, corner int) []float64 {
	planes := world.Planes{CornerSize: corner}
	psi := make([]float64, planes.Len(l))
	planes.Observe(psi, world.NewEpisode(l), nil)
	r := make([]float64, len(l.Walls))
	for i := range r {
		for f, th := range theta {
			r[i] += th * psi[i*world.CellFeatures+f]
		}
	}
	return r
}
