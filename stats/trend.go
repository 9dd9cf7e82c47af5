package stats

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
)

// A Trend is the result of [TrendTest]: whether a metric moves
// monotonically with a swept parameter, over training seeds.
type Trend struct {
	// Slope is the least-squares slope of the values on the points' ranks
	// (1, 2, …, k): the mean change per step along the sweep.
	Slope float64
	// P is the two-sided permutation p-value; Holm-adjusted after
	// [AdjustTrends].
	P, RawP float64
	Test    string // TrendExact or TrendMonteCarlo
	Points  int    // k
	Seeds   int    // n
	Alpha   float64
	Adjust  string // "" or "Holm"
	Family  int
	// Significant reports P < Alpha, after adjustment if any.
	Significant bool
}

// Test names, as stored in [Trend.Test].
const (
	TrendExact      = "exact within-seed permutation"
	TrendMonteCarlo = "Monte Carlo within-seed permutation, 100000 resamples"
)

// TrendTest tests for a monotone trend of a metric along k sweep points
// measured on the same n training seeds at every point: y[j][i] is seed
// i's value at point j (points in sweep order). The statistic is the
// covariance of the values with the points' ranks, Σ_j Σ_i (j − (k−1)/2)·
// y[j][i], so the test does not depend on how the swept values are
// spaced (as Page's test). Under the null hypothesis the metric does not
// depend on the point, so each seed's k values are exchangeable among
// the points: the p-value is the share of the (k!)^n within-seed
// permutations whose statistic is at least as large in absolute value,
// enumerated when there are at most 200000 of them and sampled 100000
// times from rng otherwise ((count+1)/(R+1)). Seeds are the blocks: the
// same training seed at every point, as mesa's sweeps are designed.
//
// With few seeds and points the test cannot reach small p-values: for
// k = 2 points and n = 5 seeds the smallest is 2/2^5 = 0.0625; for k = 4
// and n = 5 (24^5 permutations, sampled) it is 1/100001.
//
// All values equal gives P = 1. It returns an error if the points have
// different numbers of seeds, k < 2, n < 1, a value is NaN, alpha is not
// in (0, 1) or rng is nil.
func TrendTest(y [][]float64, alpha float64, rng *rand.Rand) (Trend, error) {
	k := len(y)
	switch {
	case k < 2:
		return Trend{}, fmt.Errorf("stats: trend: %d points, need at least 2", k)
	case !(alpha > 0 && alpha < 1):
		return Trend{}, fmt.Errorf("stats: trend: alpha %v not in (0, 1)", alpha)
	case rng == nil:
		return Trend{}, errors.New("stats: trend: nil rng")
	}
	n := len(y[0])
	if n < 1 {
		return Trend{}, errors.New("stats: trend: no seeds")
	}
	for j, ys := range y {
		if len(ys) != n {
			return Trend{}, fmt.Errorf("stats: trend: point %d has %d seeds, point 0 has %d", j, len(ys), n)
		}
		for _, v := range ys {
			if math.IsNaN(v) {
				return Trend{}, fmt.Errorf("stats: trend: point %d has a NaN value", j)
			}
		}
	}
	w := make([]float64, k) // centred ranks
	var ww float64
	for j := range w {
		w[j] = float64(j) - float64(k-1)/2
		ww += w[j] * w[j]
	}
	// col[i] holds seed i's values in point order.
	col := make([][]float64, n)
	scale := 0.0
	for i := range col {
		col[i] = make([]float64, k)
		for j := range k {
			col[i][j] = y[j][i]
			scale = math.Max(scale, math.Abs(y[j][i]))
		}
	}
	stat := func(perm [][]int) float64 {
		s := 0.0
		for i := range n {
			for j := range k {
				s += w[j] * col[i][perm[i][j]]
			}
		}
		return s
	}
	ident := make([][]int, n)
	for i := range ident {
		ident[i] = identity(k)
	}
	obs := stat(ident)
	t := Trend{Slope: obs / (ww * float64(n)), Points: k, Seeds: n, Alpha: alpha}
	tol := 1e-9 * math.Max(scale, 1) * float64(k*n)
	extreme := func(s float64) bool { return math.Abs(s) >= math.Abs(obs)-tol }
	total := 1.0
	for range n {
		total *= float64(factorial(k))
		if total > float64(exactLimit) {
			break
		}
	}
	if total <= float64(exactLimit) {
		t.Test = TrendExact
		perms := permutations(k)
		idx := make([]int, n)
		cur := make([][]int, n)
		count, all := 0, 0
		for {
			for i := range n {
				cur[i] = perms[idx[i]]
			}
			all++
			if extreme(stat(cur)) {
				count++
			}
			// Next combination, as an odometer over the seeds.
			i := 0
			for i < n {
				idx[i]++
				if idx[i] < len(perms) {
					break
				}
				idx[i] = 0
				i++
			}
			if i == n {
				break
			}
		}
		t.RawP = float64(count) / float64(all)
	} else {
		t.Test = TrendMonteCarlo
		cur := make([][]int, n)
		for i := range cur {
			cur[i] = identity(k)
		}
		count := 0
		for range mcResamples {
			for i := range n {
				rng.Shuffle(k, func(a, b int) { cur[i][a], cur[i][b] = cur[i][b], cur[i][a] })
			}
			if extreme(stat(cur)) {
				count++
			}
		}
		t.RawP = float64(count+1) / float64(mcResamples+1)
	}
	t.P = t.RawP
	t.Significant = t.P < alpha
	return t, nil
}

// AdjustTrends applies Holm's adjustment to the trends' p-values, as
// [AdjustHolm] does for comparisons.
func AdjustTrends(ts []Trend) error {
	ps := make([]float64, len(ts))
	for i, t := range ts {
		ps[i] = t.RawP
	}
	adj, err := Holm(ps)
	if err != nil {
		return err
	}
	for i := range ts {
		ts[i].P, ts[i].Adjust, ts[i].Family = adj[i], "Holm", len(ts)
		ts[i].Significant = ts[i].P < ts[i].Alpha
	}
	return nil
}

func identity(k int) []int {
	p := make([]int, k)
	for i := range p {
		p[i] = i
	}
	return p
}

func factorial(k int) int {
	f := 1
	for i := 2; i <= k; i++ {
		f *= i
		if f > exactLimit {
			return exactLimit + 1
		}
	}
	return f
}

// permutations returns every permutation of 0..k-1 (k small: the caller
// checked k!^n against the exact limit).
func permutations(k int) [][]int {
	var out [][]int
	var rec func(p []int, i int)
	rec = func(p []int, i int) {
		if i == len(p) {
			out = append(out, append([]int(nil), p...))
			return
		}
		for j := i; j < len(p); j++ {
			p[i], p[j] = p[j], p[i]
			rec(p, i+1)
			p[i], p[j] = p[j], p[i]
		}
	}
	rec(identity(k), 0)
	return out
}
