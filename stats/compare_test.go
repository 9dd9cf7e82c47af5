package stats

import (
	"math"
	"testing"
)

var (
	// Ten seeds per group, 184756 splits: exact by default.
	a10 = []float64{0.61, 0.72, 0.55, 0.80, 0.68, 0.64, 0.59, 0.77, 0.70, 0.66}
	b10 = []float64{0.50, 0.58, 0.61, 0.47, 0.66, 0.63, 0.55, 0.52, 0.69, 0.60}
)

func TestCompareExact(t *testing.T) {
	// Reference p-values by brute-force enumeration in pure Python
	// (itertools.combinations over the pooled values, counting splits
	// with |mean difference| >= the observed one).
	tests := []struct {
		name string
		a, b []float64
		p    float64
		diff float64
	}{
		{"separated 5 vs 5", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 2.0 / 252, -5},
		{"separated 5 vs 5, swapped", []float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5}, 2.0 / 252, 5},
		{"overlapping 5 vs 5", a10[:5], b10[:5], 28.0 / 252, 0.108},
		{"10 vs 10", a10, b10, 2968.0 / 184756, 0.091},
		{"2 vs 2, smallest p", []float64{1, 2}, []float64{3, 4}, 2.0 / 6, -2},
		{"3 vs 4", []float64{0.9, 0.8, 0.85}, []float64{0.6, 0.7, 0.65, 0.75}, 2.0 / 35, 0.175},
		{"3 vs 5", []float64{0.9, 0.8, 0.85}, []float64{0.6, 0.7, 0.65, 0.75, 0.95}, 14.0 / 56, 0.12},
		{"1 vs 2, smallest p 1/C", []float64{10}, []float64{0, 1}, 1.0 / 3, 9.5},
		{"1 vs 2", []float64{0.5}, []float64{0.5, 0.7}, 1, -0.1},
		{"all equal", []float64{0.4, 0.4, 0.4}, []float64{0.4, 0.4, 0.4}, 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Compare(tt.a, tt.b, 0.05, newRand())
			if err != nil {
				t.Fatal(err)
			}
			if c.Test != TestExact {
				t.Errorf("Test = %q, want %q", c.Test, TestExact)
			}
			if !near(c.P, tt.p, 1e-12) || c.RawP != c.P {
				t.Errorf("P = %v (raw %v), want %v", c.P, c.RawP, tt.p)
			}
			if !near(c.Diff, tt.diff, 1e-12) {
				t.Errorf("Diff = %v, want %v", c.Diff, tt.diff)
			}
			if c.Significant != (tt.p < 0.05) {
				t.Errorf("Significant = %v at p = %v", c.Significant, c.P)
			}
			if c.NA != len(tt.a) || c.NB != len(tt.b) || c.A.N != len(tt.a) || c.B.N != len(tt.b) {
				t.Errorf("sizes %d, %d, intervals %d, %d", c.NA, c.NB, c.A.N, c.B.N)
			}
			if c.A.Level != 0.95 || c.A.Method != MethodT {
				t.Errorf("A interval %+v, want 95%% t", c.A)
			}
		})
	}
}

func TestCompareDegenerate(t *testing.T) {
	for _, tt := range []struct {
		name string
		a, b []float64
	}{
		{"empty a", nil, []float64{1, 2}},
		{"empty b", []float64{1, 2}, nil},
		{"NaN", []float64{1, math.NaN()}, []float64{1, 2}},
	} {
		c, err := Compare(tt.a, tt.b, 0.05, newRand())
		if err != nil {
			t.Fatal(err)
		}
		if !math.IsNaN(c.P) || !math.IsNaN(c.Diff) || !math.IsNaN(c.EffectSize) || c.Significant {
			t.Errorf("%s: %+v, want NaN P, Diff, EffectSize", tt.name, c)
		}
	}
}

func TestCompareMonteCarlo(t *testing.T) {
	// 12 vs 12 has C(24, 12) = 2704156 splits: Monte Carlo by default.
	a := append(a10[:10:10], 0.73, 0.58)
	b := append(b10[:10:10], 0.54, 0.62)
	c, err := Compare(a, b, 0.05, newRand())
	if err != nil {
		t.Fatal(err)
	}
	if c.Test != TestMonteCarlo {
		t.Errorf("12 vs 12: Test = %q, want %q", c.Test, TestMonteCarlo)
	}

	// Forced onto the Monte Carlo path, 10 vs 10 agrees with the exact
	// p-value 2968/184756 = 0.016064 within 5 standard errors
	// (sqrt(p(1-p)/100000) = 0.0004).
	defer func(limit int) { exactLimit = limit }(exactLimit)
	exactLimit = 0
	for _, tt := range []struct {
		name string
		a, b []float64
		p    float64
	}{
		{"10 vs 10", a10, b10, 2968.0 / 184756},
		{"overlapping 5 vs 5", a10[:5], b10[:5], 28.0 / 252},
		{"all equal", []float64{2, 2, 2}, []float64{2, 2}, 1},
	} {
		c, err := Compare(tt.a, tt.b, 0.05, newRand())
		if err != nil {
			t.Fatal(err)
		}
		se := math.Sqrt(tt.p * (1 - tt.p) / mcResamples)
		if c.Test != TestMonteCarlo || !near(c.P, tt.p, 5*se+1e-12) {
			t.Errorf("%s: %s P = %v, want %v ± %v", tt.name, c.Test, c.P, tt.p, 5*se)
		}
		again, _ := Compare(tt.a, tt.b, 0.05, newRand())
		if again.P != c.P {
			t.Errorf("%s: same seed, P = %v then %v", tt.name, c.P, again.P)
		}
	}
	// The (count+1)/(R+1) convention: P·(R+1) is a whole number of at
	// least 1. For 6 vs 6 separated groups the exact p is 2/924.
	c, _ = Compare([]float64{1, 2, 3, 4, 5, 6}, []float64{11, 12, 13, 14, 15, 16}, 0.05, newRand())
	k := c.P * (mcResamples + 1)
	if math.Abs(k-math.Round(k)) > 1e-6 || k < 1 || !near(c.P, 2.0/924, 0.0008) {
		t.Errorf("separated groups: P = %v, P·(R+1) = %v, want about 2/924", c.P, k)
	}
}

func TestSplits(t *testing.T) {
	for _, tt := range []struct{ n, k, limit, want int }{
		{4, 2, 200000, 6},
		{10, 5, 200000, 252},
		{20, 10, 200000, 184756},
		{24, 12, 200000, 200001},
		{1001, 1, 200000, 1001},
		{1000000, 3, 200000, 200001},
		{7, 7, 10, 1},
	} {
		if got := splits(tt.n, tt.k, tt.limit); got != tt.want {
			t.Errorf("splits(%d, %d, %d) = %d, want %d", tt.n, tt.k, tt.limit, got, tt.want)
		}
	}
}

func TestHedgesG(t *testing.T) {
	// a = {2, 4, 6, 8}: mean 5, var 20/3; b = {1, 2, 3}: mean 2, var 1.
	// s² = (3·20/3 + 2·1)/5 = 4.4, d = 3/√4.4 = 1.4301939,
	// J = 1 - 3/(4·7 - 9) = 16/19, g = 1.2043738.
	// a = {1..5}, b = {6..10}: s² = 2.5, d = -5/1.5811388 = -3.1622777,
	// J = 1 - 3/31 = 28/31, g = -2.8562508.
	inf := math.Inf(1)
	tests := []struct {
		name string
		a, b []float64
		want float64
	}{
		{"4 vs 3", []float64{2, 4, 6, 8}, []float64{1, 2, 3}, 1.2043738},
		{"3 vs 4", []float64{1, 2, 3}, []float64{2, 4, 6, 8}, -1.2043738},
		{"5 vs 5", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, -2.8562508},
		{"equal constant", []float64{3, 3}, []float64{3, 3, 3}, 0},
		{"different constants", []float64{4, 4}, []float64{3, 3}, inf},
		{"different constants, negative", []float64{3, 3}, []float64{4, 4}, -inf},
		{"too few", []float64{1, 2}, []float64{3}, nan},
		{"empty", nil, []float64{1, 2, 3, 4}, nan},
		{"NaN", []float64{1, nan}, []float64{1, 2}, nan},
	}
	for _, tt := range tests {
		got := HedgesG(tt.a, tt.b)
		if !near(got, tt.want, 1e-7) {
			t.Errorf("%s: HedgesG = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestHolm(t *testing.T) {
	// Hand-derived: sorted 0.005, 0.01, 0.03, 0.04 times 4, 3, 2, 1 is
	// 0.02, 0.03, 0.06, 0.04; the running maximum makes the last 0.06.
	tests := []struct {
		name string
		ps   []float64
		want []float64
	}{
		{"brief", []float64{0.01, 0.04, 0.03, 0.005}, []float64{0.03, 0.06, 0.06, 0.02}},
		{"capped", []float64{0.5, 0.2, 0.3}, []float64{0.6, 0.6, 0.6}},
		{"capped at 1", []float64{0.8, 0.6}, []float64{1, 1}},
		{"ties", []float64{0.01, 0.01, 0.5}, []float64{0.03, 0.03, 0.5}},
		{"one", []float64{0.04}, []float64{0.04}},
		{"empty", nil, []float64{}},
	}
	for _, tt := range tests {
		in := append([]float64(nil), tt.ps...)
		got, err := Holm(tt.ps)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(tt.want) {
			t.Fatalf("%s: len %d, want %d", tt.name, len(got), len(tt.want))
		}
		for i := range got {
			if !near(got[i], tt.want[i], 1e-12) {
				t.Errorf("%s: Holm = %v, want %v", tt.name, got, tt.want)
				break
			}
			if tt.ps[i] != in[i] {
				t.Errorf("%s: input modified", tt.name)
			}
		}
	}
}

func TestAdjustHolm(t *testing.T) {
	cs := make([]Comparison, 4)
	for i, p := range []float64{0.01, 0.04, 0.03, 0.005} {
		cs[i] = Comparison{P: p, RawP: p, Alpha: 0.05, Test: TestExact, Significant: p < 0.05}
	}
	if err := AdjustHolm(cs); err != nil {
		t.Fatal(err)
	}
	want := []bool{true, false, false, true}
	for i, c := range cs {
		if c.Significant != want[i] || c.Adjust != "Holm" || c.Family != 4 {
			t.Errorf("comparison %d: %+v", i, c)
		}
	}
	// Applying it twice adjusts from RawP, not again from P.
	if err := AdjustHolm(cs); err != nil || !near(cs[0].P, 0.03, 1e-12) {
		t.Errorf("second adjustment: P = %v, err %v", cs[0].P, err)
	}
	bad := []Comparison{{RawP: math.NaN(), P: math.NaN()}}
	if err := AdjustHolm(bad); err == nil || bad[0].Adjust != "" {
		t.Errorf("NaN p-value: err %v, %+v", err, bad[0])
	}
}

// TestHolmProperties checks, on random inputs, that adjusted p-values are
// at least the raw ones, at most 1, and ordered as the raw ones are.
func TestHolmProperties(t *testing.T) {
	rng := newRand()
	for range 200 {
		ps := make([]float64, 1+rng.IntN(12))
		for i := range ps {
			ps[i] = rng.Float64()
			if rng.IntN(4) == 0 {
				ps[i] = ps[rng.IntN(i+1)] // ties
			}
		}
		adj, err := Holm(ps)
		if err != nil {
			t.Fatal(err)
		}
		for i := range ps {
			if adj[i] < ps[i] || adj[i] > 1 {
				t.Fatalf("Holm(%v)[%d] = %v", ps, i, adj[i])
			}
			for j := range ps {
				if ps[i] <= ps[j] && adj[i] > adj[j] {
					t.Fatalf("Holm(%v) = %v: order not preserved at %d, %d", ps, adj, i, j)
				}
			}
		}
	}
}

func TestMinP(t *testing.T) {
	for _, tt := range []struct {
		na, nb int
		want   float64
	}{{2, 2, 2.0 / 6}, {3, 3, 0.1}, {5, 5, 2.0 / 252}, {2, 3, 0.1}, {1, 1, 1}, {0, 4, 1}} {
		if got := MinP(tt.na, tt.nb); math.Abs(got-tt.want) > 1e-12 {
			t.Errorf("MinP(%d, %d) = %v, want %v", tt.na, tt.nb, got, tt.want)
		}
	}
	// The bound is attained: groups that do not overlap at all.
	c, err := Compare([]float64{1, 2, 3}, []float64{10, 11}, 0.05, newRand())
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(c.P-MinP(3, 2)) > 1e-12 {
		t.Errorf("non-overlapping 3 + 2 seeds: p %v, want %v", c.P, MinP(3, 2))
	}
}
