package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
)

// exactLimit is the largest number of splits C(na+nb, na) for which
// [Compare] enumerates every split; above it, it samples mcResamples
// random splits. Tests lower it to exercise the Monte Carlo path.
var exactLimit = 200000

// mcResamples is the number of random splits in the Monte Carlo test.
const mcResamples = 100000

// Test names, as stored in [Comparison.Test].
const (
	TestExact      = "exact permutation"
	TestMonteCarlo = "Monte Carlo permutation, 100000 resamples"
)

// Comparison is the result of [Compare]: two groups of seeds, the
// difference of their means, a permutation p-value and an effect size.
type Comparison struct {
	A, B       Interval // Student-t intervals of each group, at level 1-Alpha
	Diff       float64  // mean(a) - mean(b)
	P          float64  // two-sided p-value; Holm-adjusted after [AdjustHolm]
	RawP       float64  // two-sided p-value before any adjustment
	EffectSize float64  // Hedges' g of a against b, see [HedgesG]
	Test       string   // TestExact or TestMonteCarlo
	NA, NB     int      // seeds in each group
	Alpha      float64  // significance level
	Adjust     string   // "" or "Holm"
	Family     int      // comparisons in the adjusted family; 0 if unadjusted
	// Significant reports P < Alpha, after adjustment if any.
	Significant bool
}

// Compare compares two groups of training seeds, a and b, one value per
// independently trained agent, with a two-sided permutation test of the
// difference in means.
//
// The p-value is the fraction of the C(na+nb, na) ways of splitting the
// pooled values into groups of sizes na and nb whose absolute difference
// in means is at least the observed one. All splits are enumerated when
// there are at most 200000 (5 vs 5 gives 252, 10 vs 10 gives 184756);
// otherwise 100000 random splits are drawn from rng and P is
// (count+1)/(100000+1), which is never zero. Differences within 1e-9 of
// the largest absolute value are treated as ties.
//
// With few seeds the test cannot reach small p-values. The observed split
// always counts, so the smallest exact p-value is 1/C(na+nb, na); when
// na = nb every split has a mirror image with the opposite difference, so
// it is 2/C(na+nb, na). Thus 2 vs 2 gives at least 2/6 ≈ 0.33, 3 vs 3 at
// least 2/20 = 0.1, 4 vs 4 at least 2/70 ≈ 0.029 and 5 vs 5 at least
// 2/252 ≈ 0.0079: with three or fewer seeds per group no difference can
// be significant at alpha = 0.05, however large, and after a Holm
// adjustment over m comparisons the bound is multiplied by up to m.
//
// If all values in both groups are equal, P is 1 and EffectSize 0. If a
// group is empty or any value is NaN, Diff, P and EffectSize are NaN and
// Significant is false. A and B are Student-t intervals at level 1-alpha
// (see [MeanT]).
//
// Compare returns an error if alpha is not in (0, 1) or rng is nil; rng is
// required even when the exact test is used, so that a call cannot start
// failing when more seeds are added.
func Compare(a, b []float64, alpha float64, rng *rand.Rand) (Comparison, error) {
	if !(alpha > 0 && alpha < 1) {
		return Comparison{}, fmt.Errorf("stats: significance level %v not in (0, 1)", alpha)
	}
	if rng == nil {
		return Comparison{}, fmt.Errorf("stats: nil random source")
	}
	c := Comparison{NA: len(a), NB: len(b), Alpha: alpha}
	c.A, _ = MeanT(a, 1-alpha)
	c.B, _ = MeanT(b, 1-alpha)
	c.EffectSize = HedgesG(a, b)
	if len(a) == 0 || len(b) == 0 || slices.ContainsFunc(a, math.IsNaN) || slices.ContainsFunc(b, math.IsNaN) {
		c.Diff, c.P, c.RawP, c.EffectSize = math.NaN(), math.NaN(), math.NaN(), math.NaN()
		return c, nil
	}
	c.Diff = stat.Mean(a, nil) - stat.Mean(b, nil)
	if splits(len(a)+len(b), len(a), exactLimit) <= exactLimit {
		c.Test = TestExact
		c.P = exactPermutation(a, b)
	} else {
		c.Test = TestMonteCarlo
		c.P = monteCarloPermutation(a, b, mcResamples, rng)
	}
	c.RawP = c.P
	c.Significant = c.P < alpha
	return c, nil
}

// splits returns C(n, k), or limit+1 if that exceeds limit.
func splits(n, k, limit int) int {
	k = min(k, n-k)
	c := 1
	for i := range k {
		// c = C(n, i) <= limit, so c*(n-i) does not overflow for any
		// realistic n, and it is divisible by i+1. C(n, i) grows with i
		// for i <= n/2, so once it exceeds limit the result does too.
		c = c * (n - i) / (i + 1)
		if c > limit {
			return limit + 1
		}
	}
	return c
}

// permutation holds the pooled data for a permutation test and decides
// whether a split is at least as extreme as the observed one.
type permutation struct {
	pooled   []float64
	na, nb   float64
	total    float64
	observed float64 // |mean(a) - mean(b)| less the tie tolerance
}

func newPermutation(a, b []float64) *permutation {
	p := &permutation{
		pooled: slices.Concat(a, b),
		na:     float64(len(a)),
		nb:     float64(len(b)),
	}
	var maxAbs float64
	for _, x := range p.pooled {
		p.total += x
		maxAbs = math.Max(maxAbs, math.Abs(x))
	}
	var sumA float64
	for _, x := range a {
		sumA += x
	}
	p.observed = math.Abs(p.diff(sumA)) - 1e-9*maxAbs
	return p
}

// diff returns mean(a) - mean(b) for a split in which group a sums to sumA.
func (p *permutation) diff(sumA float64) float64 {
	return sumA/p.na - (p.total-sumA)/p.nb
}

func (p *permutation) extreme(sumA float64) bool {
	return math.Abs(p.diff(sumA)) >= p.observed
}

// exactPermutation enumerates every way of choosing len(a) of the pooled
// values as group a.
func exactPermutation(a, b []float64) float64 {
	p := newPermutation(a, b)
	n, k := len(p.pooled), len(a)
	idx := make([]int, k)
	for i := range idx {
		idx[i] = i
	}
	var count, total int
	for {
		var sumA float64
		for _, i := range idx {
			sumA += p.pooled[i]
		}
		total++
		if p.extreme(sumA) {
			count++
		}
		// Advance to the next k-subset in lexicographic order.
		i := k - 1
		for i >= 0 && idx[i] == n-k+i {
			i--
		}
		if i < 0 {
			break
		}
		idx[i]++
		for j := i + 1; j < k; j++ {
			idx[j] = idx[j-1] + 1
		}
	}
	return float64(count) / float64(total)
}

// monteCarloPermutation draws resamples uniformly random splits.
func monteCarloPermutation(a, b []float64, resamples int, rng *rand.Rand) float64 {
	p := newPermutation(a, b)
	n, k := len(p.pooled), len(a)
	xs := slices.Clone(p.pooled)
	count := 0
	for range resamples {
		// A partial Fisher–Yates shuffle puts a uniformly random
		// k-subset in xs[:k], whatever the current order of xs.
		var sumA float64
		for i := range k {
			j := i + rng.IntN(n-i)
			xs[i], xs[j] = xs[j], xs[i]
			sumA += xs[i]
		}
		if p.extreme(sumA) {
			count++
		}
	}
	return float64(count+1) / float64(resamples+1)
}

// HedgesG returns Hedges' g, the bias-corrected standardised difference
// of the means of a and b:
//
//	g = J · (mean(a) - mean(b)) / s,  J = 1 - 3/(4(na+nb) - 9),
//
// where s is the pooled standard deviation,
// s² = ((na-1)·var(a) + (nb-1)·var(b)) / (na+nb-2).
//
// HedgesG returns 0 if both groups have zero variance and equal means,
// and +Inf or -Inf, with the sign of mean(a) - mean(b), if they have zero
// variance and different means. It returns NaN if either group is empty,
// if na+nb < 4 (s then has at most one degree of freedom and the
// correction J is zero or meaningless), or if any value is NaN.
func HedgesG(a, b []float64) float64 {
	na, nb := len(a), len(b)
	if na == 0 || nb == 0 || na+nb < 4 {
		return math.NaN()
	}
	ma, va := meanVar(a)
	mb, vb := meanVar(b)
	diff := ma - mb
	s2 := (float64(na-1)*va + float64(nb-1)*vb) / float64(na+nb-2)
	if math.IsNaN(diff) || math.IsNaN(s2) {
		return math.NaN()
	}
	if s2 == 0 {
		switch {
		case diff > 0:
			return math.Inf(1)
		case diff < 0:
			return math.Inf(-1)
		}
		return 0
	}
	j := 1 - 3/(4*float64(na+nb)-9)
	return j * diff / math.Sqrt(s2)
}

// meanVar returns the mean and sample variance of xs, with variance
// exactly 0 when all values are equal (and 0 for a single value).
func meanVar(xs []float64) (mean, variance float64) {
	if allEqual(xs) {
		return xs[0], 0
	}
	return stat.MeanVariance(xs, nil)
}

// Holm returns the Holm–Bonferroni adjusted p-values of ps, in the same
// order as ps. With ps sorted ascending as p(1) <= ... <= p(m), the
// adjusted value of p(i) is min(1, max over j <= i of (m-j+1)·p(j)), so
// the adjusted values are monotone in the raw ones and never exceed 1.
// Rejecting where the adjusted value is below alpha controls the
// family-wise error rate at alpha.
//
// Holm returns an error if any p-value is NaN or outside [0, 1]. ps is not
// modified.
func Holm(ps []float64) ([]float64, error) {
	for i, p := range ps {
		if !(p >= 0 && p <= 1) {
			return nil, fmt.Errorf("stats: p-value %d is %v, not in [0, 1]", i, p)
		}
	}
	m := len(ps)
	order := make([]int, m)
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int {
		switch {
		case ps[i] < ps[j]:
			return -1
		case ps[i] > ps[j]:
			return 1
		}
		return 0
	})
	adj := make([]float64, m)
	var running float64
	for rank, i := range order {
		running = math.Max(running, math.Min(1, float64(m-rank)*ps[i]))
		adj[i] = running
	}
	return adj, nil
}

// AdjustHolm treats cs as one family of comparisons and replaces each P
// by its Holm-adjusted value (see [Holm]) computed from RawP, recomputing
// Significant against each comparison's Alpha and setting Adjust and
// Family. It returns an error, leaving cs unchanged, if any RawP is NaN.
func AdjustHolm(cs []Comparison) error {
	ps := make([]float64, len(cs))
	for i, c := range cs {
		ps[i] = c.RawP
	}
	adj, err := Holm(ps)
	if err != nil {
		return err
	}
	for i := range cs {
		cs[i].P = adj[i]
		cs[i].Adjust = "Holm"
		cs[i].Family = len(cs)
		cs[i].Significant = adj[i] < cs[i].Alpha
	}
	return nil
}

// String returns the comparison as [FormatComparison] does for raw
// values.
func (c Comparison) String() string {
	return FormatComparison(c, false)
}

// MinP returns the smallest two-sided p-value the exact permutation test
// of [Compare] can give for groups of na and nb seeds, before any
// adjustment: 1/C(na+nb, na), twice that when na = nb (every split then
// has a mirror image). It is 1 when a group is empty. If MinP(na, nb) ≥
// alpha, no difference between such groups can be significant, however
// large.
func MinP(na, nb int) float64 {
	if na < 1 || nb < 1 {
		return 1
	}
	c := 1.0
	for i := range min(na, nb) {
		c = c * float64(na+nb-i) / float64(i+1)
	}
	p := 1 / c
	if na == nb {
		p *= 2
	}
	return min(p, 1)
}
