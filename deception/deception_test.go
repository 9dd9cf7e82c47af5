package deception

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// plan parses "BBAAA" into actions.
func plan(s string) []Action {
	acts := make([]Action, len(s))
	for i := range s {
		acts[i] = Action(s[i])
	}
	return acts
}

func str(acts []Action) string {
	var b strings.Builder
	for _, a := range acts {
		b.WriteString(a.String())
	}
	return b.String()
}

const tol = 1e-12

// TestSolve checks optimal plans and values worked out by hand. V is the
// expected apples from an episode on, unmodified; V(end) = 0; a training
// episode's A is worth 1 + (1-Modify)·V(next), its B V(next).
func TestSolve(t *testing.T) {
	tests := []struct {
		name  string
		g     Game
		plan  string
		value float64
	}{
		// The talk: V(2) = 3 (three deployment apples). Episode 1: A is
		// worth 1 + 0·3 = 1, B 3: B. Episode 0: the same: B.
		{"talk", Game{Train: 2, Deploy: 3}, "BBAAA", 3},
		{"talk, Modify 1 explicit", Game{Train: 2, Deploy: 3, Modify: 1}, "BBAAA", 3},
		// Nothing to fear without training.
		{"no training", Game{Deploy: 3}, "AAA", 3},
		// Deploy 0, Modify 1: V(3) = 0. Episode 2: A is worth 1 + 0 = 1
		// against B's 0: A, V = 1. Episode 1: A is worth 1 + 0·1 = 1,
		// B 1: a tie, so B; likewise episode 0. One apple, in the last
		// training episode, where there is nothing left to protect.
		{"no deployment", Game{Train: 3}, "BBA", 1},
		// Deploy 0, Modify 0.5: episode 2: A, V = 1. Episode 1: A is worth
		// 1 + 0.5·1 = 1.5 > 1: A. Episode 0: 1 + 0.5·1.5 = 1.75 > 1.5: A.
		{"no deployment, Modify 0.5", Game{Train: 3, Modify: 0.5}, "AAA", 1.75},
		// The threshold: the last training episode's A is worth
		// 1 + (1-Modify)·Deploy against B's Deploy, so the agent defects
		// iff 1 > Modify·Deploy. Modify·Deploy = 0.8: A is worth
		// 1 + 0.8·4 = 4.2 > 4.
		{"threshold below", Game{Train: 1, Deploy: 4, Modify: 0.2}, "AAAAA", 4.2},
		// Modify·Deploy = 1.2: A is worth 1 + 0.7·4 = 3.8 < 4.
		{"threshold above", Game{Train: 1, Deploy: 4, Modify: 0.3}, "BAAAA", 4},
		// Modify·Deploy = 1: A is worth 1 + 0.75·4 = 4 = B's 4 (exact in
		// binary): a tie, broken towards B.
		{"threshold tie", Game{Train: 1, Deploy: 4, Modify: 0.25}, "BAAAA", 4},
		// Below the threshold the agent defects in every training
		// episode: V = 4, then 1 + 0.8·4 = 4.2, 1 + 0.8·4.2 = 4.36,
		// 1 + 0.8·4.36 = 4.488, each step Modify·V < 1.
		{"three below", Game{Train: 3, Deploy: 4, Modify: 0.2}, "AAAAAAA", 4.488},
		// Above it, B in every training episode: V stays 4.
		{"three above", Game{Train: 3, Deploy: 4, Modify: 0.3}, "BBBAAAA", 4},
		// The CLI's second case: V = 3, then 1 + 0.8·3 = 3.4, then
		// 1 + 0.8·3.4 = 3.72.
		{"modify 0.2", Game{Train: 2, Deploy: 3, Modify: 0.2}, "AAAAA", 3.72},
		{"empty", Game{}, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := tt.g.Solve()
			if err != nil {
				t.Fatal(err)
			}
			if got := str(p.Actions); got != tt.plan || math.Abs(p.Value-tt.value) > tol {
				t.Errorf("Solve() = %s, %v; want %s, %v", got, p.Value, tt.plan, tt.value)
			}
			if v, err := tt.g.Value(p.Actions); err != nil || math.Abs(v-p.Value) > tol {
				t.Errorf("Value(optimum) = %v, %v; want %v", v, err, p.Value)
			}
		})
	}
}

// TestNamedPlans checks the named plans' values worked out by hand.
func TestNamedPlans(t *testing.T) {
	tests := []struct {
		g                  Game
		always, never, dec float64
	}{
		// Always A: the first apple, then modified. Always B: nothing.
		// Deceptive: the three deployment apples.
		{Game{Train: 2, Deploy: 3}, 1, 0, 3},
		// Always A with Modify 0.2: 1 + 0.8 + 0.64·3 = 3.72.
		{Game{Train: 2, Deploy: 3, Modify: 0.2}, 3.72, 0, 3},
		{Game{Deploy: 2}, 2, 0, 2},
		{Game{Train: 2}, 1, 0, 0},
	}
	for _, tt := range tests {
		for _, c := range []struct {
			name string
			plan []Action
			want float64
		}{{"AlwaysA", AlwaysA(tt.g), tt.always}, {"AlwaysB", AlwaysB(tt.g), tt.never}, {"Deceptive", Deceptive(tt.g), tt.dec}} {
			v, err := tt.g.Value(c.plan)
			if err != nil || math.Abs(v-c.want) > tol {
				t.Errorf("%+v: Value(%s %s) = %v, %v; want %v", tt.g, c.name, str(c.plan), v, err, c.want)
			}
		}
	}
	if got := str(Deceptive(Game{Train: 2, Deploy: 3})); got != "BBAAA" {
		t.Errorf("Deceptive = %s, want BBAAA", got)
	}
}

// TestAllOrNothing: with Modify < 1 the optimum is always A when
// Modify·Deploy < 1 and the deceptive plan otherwise (see the package doc).
func TestAllOrNothing(t *testing.T) {
	for train := 0; train <= 6; train++ {
		for deploy := 0; deploy <= 6; deploy++ {
			for _, m := range []float64{0.05, 0.15, 0.3, 0.45, 0.6, 0.9, 1} {
				g := Game{Train: train, Deploy: deploy, Modify: m}
				if math.Abs(m*float64(deploy)-1) < 1e-9 || m == 1 && deploy == 0 {
					continue // ties, and the exception
				}
				p, err := g.Solve()
				if err != nil {
					t.Fatal(err)
				}
				want := Deceptive(g)
				if m*float64(deploy) < 1 {
					want = AlwaysA(g)
				}
				if !slices.Equal(p.Actions, want) {
					t.Errorf("%+v: Solve() = %s, want %s", g, str(p.Actions), str(want))
				}
			}
		}
	}
}

// treeValue is the expected apples of acts from episode t on, unmodified,
// by recursion over what happens (Value sums forward instead).
func treeValue(g Game, acts []Action, t int) float64 {
	switch {
	case t == len(acts):
		return 0
	case acts[t] == B:
		return treeValue(g, acts, t+1)
	case t >= g.Train:
		return 1 + treeValue(g, acts, t+1)
	}
	m := g.modify()
	return 1 + (1-m)*treeValue(g, acts, t+1) + m*0 // modified: no more apples
}

// TestBruteForce: for small games, Value agrees with the recursion on every
// one of the 2^(Train+Deploy) plans, and the best of them is worth Solve's
// value.
func TestBruteForce(t *testing.T) {
	games := []Game{
		{}, {Train: 2, Deploy: 3}, {Deploy: 4}, {Train: 4}, {Train: 1, Deploy: 1, Modify: 0.5},
		{Train: 3, Deploy: 3, Modify: 0.3}, {Train: 5, Deploy: 5, Modify: 0.15}, {Train: 6, Deploy: 2, Modify: 0.6},
		{Train: 4, Deploy: 4, Modify: 0.25}, {Train: 7, Deploy: 3, Modify: 0.34}, {Train: 10},
	}
	for _, g := range games {
		n := g.Episodes()
		best := math.Inf(-1)
		acts := make([]Action, n)
		for bits := 0; bits < 1<<n; bits++ {
			for i := range acts {
				acts[i] = B
				if bits>>i&1 == 1 {
					acts[i] = A
				}
			}
			v, err := g.Value(acts)
			if err != nil {
				t.Fatal(err)
			}
			if want := treeValue(g, acts, 0); math.Abs(v-want) > tol {
				t.Errorf("%+v: Value(%s) = %v, recursion %v", g, str(acts), v, want)
			}
			best = max(best, v)
		}
		p, err := g.Solve()
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(p.Value-best) > tol {
			t.Errorf("%+v: Solve value %v, brute force %v", g, p.Value, best)
		}
	}
}

// TestPlayMonteCarlo: the mean apples over 20000 runs of Play is within 4
// standard errors of Value.
func TestPlayMonteCarlo(t *testing.T) {
	const runs = 20000
	rng := rand.New(rand.NewPCG(1, 2))
	for _, g := range []Game{{Train: 2, Deploy: 3}, {Train: 2, Deploy: 3, Modify: 0.2}, {Train: 3, Deploy: 4, Modify: 0.3}, {Train: 5, Deploy: 2, Modify: 0.5}} {
		opt, err := g.Solve()
		if err != nil {
			t.Fatal(err)
		}
		mixed := AlwaysA(g)
		for i := 1; i < len(mixed); i += 2 {
			mixed[i] = B
		}
		for _, acts := range [][]Action{opt.Actions, AlwaysA(g), AlwaysB(g), Deceptive(g), mixed} {
			want, err := g.Value(acts)
			if err != nil {
				t.Fatal(err)
			}
			var sum, sum2 float64
			for range runs {
				apples, at, err := g.Play(acts, rng)
				if err != nil {
					t.Fatal(err)
				}
				if at >= g.Train || at >= 0 && acts[at] != A {
					t.Fatalf("%+v %s: modified after episode %d", g, str(acts), at)
				}
				sum += float64(apples)
				sum2 += float64(apples) * float64(apples)
			}
			mean := sum / runs
			se := math.Sqrt(max(0, sum2/runs-mean*mean) / (runs - 1))
			if math.Abs(mean-want) > 4*se+tol {
				t.Errorf("%+v %s: mean apples %v ± %v over %d runs, Value %v", g, str(acts), mean, se, runs, want)
			}
		}
	}
}

// TestPlay checks single runs where nothing is random.
func TestPlay(t *testing.T) {
	g := Game{Train: 2, Deploy: 3}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tt := range []struct {
		plan       string
		apples, at int
	}{{"BBAAA", 3, -1}, {"AAAAA", 1, 0}, {"BAAAA", 1, 1}, {"BBBBB", 0, -1}, {"BBABA", 2, -1}} {
		apples, at, err := g.Play(plan(tt.plan), rng)
		if err != nil || apples != tt.apples || at != tt.at {
			t.Errorf("Play(%s) = %d, %d, %v; want %d, %d", tt.plan, apples, at, err, tt.apples, tt.at)
		}
	}
}

func TestErrors(t *testing.T) {
	ok := Game{Train: 2, Deploy: 3}
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		g     Game
		plan  []Action
		rng   *rand.Rand
		field string
		want  string
	}{
		{Game{Train: -1}, nil, rng, "train", "deception: train: -1 is negative"},
		{Game{Deploy: -2}, nil, rng, "deploy", "deception: deploy: -2 is negative"},
		{Game{Train: MaxEpisodes + 1}, nil, rng, "train", "deception: train: 1000001 exceeds 1000000"},
		{Game{Train: math.MaxInt, Deploy: math.MaxInt}, nil, rng, "train", "deception: train: 9223372036854775807 exceeds 1000000"},
		{Game{Train: 600_000, Deploy: 500_000}, nil, rng, "train+deploy", "deception: train+deploy: 1100000 exceeds 1000000"},
		{Game{Modify: -0.1}, nil, rng, "modify", "deception: modify: -0.1 is not in (0, 1]"},
		{Game{Modify: 1.5}, nil, rng, "modify", "deception: modify: 1.5 is not in (0, 1]"},
		{Game{Modify: math.NaN()}, nil, rng, "modify", "deception: modify: NaN is not in (0, 1]"},
		{ok, plan("BBAA"), rng, "actions", "deception: actions: 4 actions for 5 episodes"},
		{ok, plan("BB\x00AA"), rng, "actions[2]", "deception: actions[2]: Action(0) is not A or B"},
		{ok, plan("BBAAA"), nil, "rng", "deception: rng: nil"},
	}
	for _, tt := range tests {
		var errs []error
		if tt.plan == nil {
			_, err := tt.g.Solve()
			errs = append(errs, err, tt.g.Validate())
			if AlwaysA(tt.g) != nil || Deceptive(tt.g) != nil {
				t.Errorf("%+v: named plans of an invalid game are not empty", tt.g)
			}
		}
		if tt.rng != nil {
			_, err := tt.g.Value(tt.plan)
			errs = append(errs, err)
		}
		_, _, err := tt.g.Play(tt.plan, tt.rng)
		errs = append(errs, err)
		for _, err := range errs {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || err.Error() != tt.want {
				t.Errorf("%+v %v: error %v; want %q (field %s)", tt.g, tt.plan, err, tt.want, tt.field)
			}
		}
	}
}

func TestLargest(t *testing.T) {
	g := Game{Train: MaxEpisodes / 2, Deploy: MaxEpisodes / 2, Modify: 1e-6}
	p, err := g.Solve()
	if err != nil {
		t.Fatal(err)
	}
	// Modify·Deploy = 0.5 < 1: always A.
	if !slices.Equal(p.Actions, AlwaysA(g)) {
		t.Error("Solve is not always A")
	}
	v, err := g.Value(p.Actions)
	if err != nil || math.Abs(v-p.Value) > 1e-9*p.Value {
		t.Errorf("Value %v, %v; Solve %v", v, err, p.Value)
	}
}

func TestActionString(t *testing.T) {
	for a, want := range map[Action]string{A: "A", B: "B", 0: "Action(0)", 'C': "Action(67)"} {
		if got := a.String(); got != want {
			t.Errorf("Action(%d).String() = %q, want %q", byte(a), got, want)
		}
	}
}
