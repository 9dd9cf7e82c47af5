package stats

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestTrendExact checks p-values against brute-force enumerations done
// independently in Python (itertools.permutations over each seed's
// points, |statistic| ≥ observed).
func TestTrendExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		name  string
		y     [][]float64
		p     float64
		slope float64
	}{
		// 3 points × 2 seeds, 36 permutations: 8 as extreme.
		{"mixed", [][]float64{{0.1, 0.3}, {0.2, 0.5}, {0.6, 0.4}}, 8.0 / 36, 0.15},
		// Strictly increasing in both seeds: only itself and its mirror.
		{"increasing", [][]float64{{0.1, 0.2}, {0.3, 0.4}, {0.5, 0.6}}, 2.0 / 36, 0.2},
		// 2 points × 5 seeds, all rising: 2 of 32 sign patterns.
		{"two points", [][]float64{{1, 2, 3, 4, 5}, {2, 3, 4, 5, 6}}, 2.0 / 32, 1},
		{"all equal", [][]float64{{0.5, 0.5}, {0.5, 0.5}, {0.5, 0.5}}, 1, 0},
	} {
		tr, err := TrendTest(tc.y, 0.05, rng)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(tr.P-tc.p) > 1e-12 || math.Abs(tr.Slope-tc.slope) > 1e-12 || tr.Test != TrendExact {
			t.Errorf("%s: p %v slope %v (%s), want p %v slope %v", tc.name, tr.P, tr.Slope, tr.Test, tc.p, tc.slope)
		}
	}
}

// TestTrendMonteCarlo: the sampled p-value agrees with the exact one and
// is the same for the same stream.
func TestTrendMonteCarlo(t *testing.T) {
	y := [][]float64{{0.30, 0.35, 0.40, 0.33}, {0.31, 0.30, 0.36, 0.30}, {0.25, 0.31, 0.28, 0.30}, {0.20, 0.18, 0.22, 0.19}}
	def, err := TrendTest(y, 0.05, rand.New(rand.NewPCG(1, 1)))
	if err != nil {
		t.Fatal(err)
	}
	if def.Test != TrendMonteCarlo { // 24^4 = 331776 permutations > 200000
		t.Fatalf("4 points × 4 seeds: test %q, want sampled", def.Test)
	}
	defer func(l int) { exactLimit = l }(exactLimit)
	exactLimit = 400000
	ex, err := TrendTest(y, 0.05, rand.New(rand.NewPCG(1, 1)))
	if err != nil || ex.Test != TrendExact {
		t.Fatalf("exact: %v %v", ex.Test, err)
	}
	exactLimit = 0
	mc1, _ := TrendTest(y, 0.05, rand.New(rand.NewPCG(7, 7)))
	mc2, _ := TrendTest(y, 0.05, rand.New(rand.NewPCG(7, 7)))
	if mc1.Test != TrendMonteCarlo || mc1.P != mc2.P {
		t.Fatalf("Monte Carlo: %v %v vs %v", mc1.Test, mc1.P, mc2.P)
	}
	se := math.Sqrt(ex.P*(1-ex.P)/100000) + 1e-5
	if math.Abs(mc1.P-ex.P) > 5*se {
		t.Errorf("Monte Carlo p %v, exact %v (se %v)", mc1.P, ex.P, se)
	}
}

func TestTrendErrors(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tc := range []struct {
		y     [][]float64
		alpha float64
		rng   *rand.Rand
		want  string
	}{
		{[][]float64{{1, 2}}, 0.05, rng, "1 points, need at least 2"},
		{[][]float64{{1, 2}, {1}}, 0.05, rng, "point 1 has 1 seeds, point 0 has 2"},
		{[][]float64{{}, {}}, 0.05, rng, "no seeds"},
		{[][]float64{{1}, {math.NaN()}}, 0.05, rng, "point 1 has a NaN value"},
		{[][]float64{{1}, {2}}, 1, rng, "alpha 1 not in (0, 1)"},
		{[][]float64{{1}, {2}}, 0.05, nil, "nil rng"},
	} {
		if _, err := TrendTest(tc.y, tc.alpha, tc.rng); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want %q", tc.y, err, tc.want)
		}
	}
}

func TestAdjustTrends(t *testing.T) {
	ts := []Trend{{RawP: 0.01, Alpha: 0.05}, {RawP: 0.04, Alpha: 0.05}, {RawP: 0.03, Alpha: 0.05}, {RawP: 0.005, Alpha: 0.05}}
	if err := AdjustTrends(ts); err != nil {
		t.Fatal(err)
	}
	want := []float64{0.03, 0.06, 0.06, 0.02} // Holm, as in TestHolm
	for i, tr := range ts {
		if math.Abs(tr.P-want[i]) > 1e-12 || tr.Family != 4 || tr.Significant != (want[i] < 0.05) {
			t.Errorf("trend %d: %+v, want p %v", i, tr, want[i])
		}
	}
}
