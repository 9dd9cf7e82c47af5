// Package stats summarises and compares independently trained agents.
//
// The unit of replication is the training seed: each value passed to
// [MeanT], [MeanBootstrap] and [Compare] is one number per independently
// trained agent (for example its success rate over a fixed evaluation
// set), never one number per episode. Pooled episode counts appear only
// through [Wilson], as a secondary figure that must be labelled as such.
//
// Invalid parameters (a confidence level outside (0, 1), a nil random
// source, a negative count) are reported as errors. Data that admit no
// answer (no values, a single seed, NaN values) are not errors: the
// affected fields are NaN, as in gonum/stat, and each function says which.
//
// Random sources are always passed in explicitly; the same *rand.Rand
// state gives the same result.
package stats

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"gonum.org/v1/gonum/stat"
	"gonum.org/v1/gonum/stat/distuv"
)

// Interval is a point estimate with a two-sided confidence interval.
//
// Lo and Hi are NaN when the data admit no interval (fewer than two seeds
// for [MeanT] and [MeanBootstrap], no trials for [Wilson]); Centre is NaN
// when there are no data at all.
type Interval struct {
	Centre float64 // point estimate
	Lo, Hi float64 // bounds, Lo <= Centre <= Hi when defined
	N      int     // number of seeds (or trials, for Wilson)
	Level  float64 // confidence level, e.g. 0.95
	Method string  // "t", "bootstrap" or "wilson"
}

// Interval methods, as stored in [Interval.Method].
const (
	MethodT         = "t"
	MethodBootstrap = "bootstrap"
	MethodWilson    = "wilson"
)

// String formats iv as [FormatInterval] does for values that are not
// proportions.
func (iv Interval) String() string {
	return FormatInterval(iv, false)
}

// HalfWidth returns the larger distance from Centre to a bound, which for
// a symmetric interval is its half-width.
func (iv Interval) HalfWidth() float64 {
	return math.Max(iv.Hi-iv.Centre, iv.Centre-iv.Lo)
}

// Contains reports whether x lies in [Lo, Hi].
func (iv Interval) Contains(x float64) bool {
	return iv.Lo <= x && x <= iv.Hi
}

func checkLevel(level float64) error {
	if !(level > 0 && level < 1) {
		return fmt.Errorf("stats: confidence level %v not in (0, 1)", level)
	}
	return nil
}

// degenerate handles the cases shared by the seed-level intervals: no
// data, NaN data, one seed and all-equal values. It reports whether iv is
// final.
func degenerate(xs []float64, level float64, method string) (iv Interval, done bool) {
	iv = Interval{Centre: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), N: len(xs), Level: level, Method: method}
	if len(xs) == 0 || slices.ContainsFunc(xs, math.IsNaN) {
		return iv, true
	}
	if len(xs) == 1 {
		iv.Centre = xs[0]
		return iv, true
	}
	if allEqual(xs) {
		iv.Centre, iv.Lo, iv.Hi = xs[0], xs[0], xs[0]
		return iv, true
	}
	return iv, false
}

func allEqual(xs []float64) bool {
	for _, x := range xs[1:] {
		if x != xs[0] {
			return false
		}
	}
	return true
}

// MeanT returns the mean of xs, one value per training seed, with a
// Student-t confidence interval at the given level:
// mean ± t_{(1+level)/2, n-1} · s/√n, where s is the sample standard
// deviation.
//
// With no values Centre is NaN. With one value Centre is that value and
// Lo and Hi are NaN: a single seed says nothing about seed-to-seed
// variation, so no interval exists. If all values are equal the interval
// has zero width at that value. A NaN value makes every field NaN.
// MeanT returns an error only if level is not in (0, 1).
func MeanT(xs []float64, level float64) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, err
	}
	iv, done := degenerate(xs, level, MethodT)
	if done {
		return iv, nil
	}
	n := float64(len(xs))
	mean, variance := stat.MeanVariance(xs, nil)
	t := distuv.StudentsT{Mu: 0, Sigma: 1, Nu: n - 1}.Quantile((1 + level) / 2)
	hw := t * math.Sqrt(variance/n)
	iv.Centre, iv.Lo, iv.Hi = mean, mean-hw, mean+hw
	return iv, nil
}

// MeanBootstrap returns the mean of xs, one value per training seed, with
// a percentile bootstrap interval at the given level: xs is resampled with
// replacement resamples times, and Lo and Hi are the (1-level)/2 and
// (1+level)/2 empirical quantiles ([stat.Empirical]) of the resampled
// means. Centre is the sample mean.
//
// The result depends only on xs, level, resamples and the state of rng,
// which must not be nil. Degenerate data are handled as in [MeanT]: with
// one seed Lo and Hi are NaN (the bootstrap would return a zero-width
// interval, which would be false precision), and all-equal values give a
// zero-width interval at that value; in these cases rng is not used.
//
// The percentile bootstrap is known to under-cover for few seeds; prefer
// [MeanT] below about ten seeds.
func MeanBootstrap(xs []float64, level float64, resamples int, rng *rand.Rand) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, err
	}
	if resamples < 1 {
		return Interval{}, fmt.Errorf("stats: bootstrap resamples %d < 1", resamples)
	}
	if rng == nil {
		return Interval{}, fmt.Errorf("stats: nil random source")
	}
	iv, done := degenerate(xs, level, MethodBootstrap)
	if done {
		return iv, nil
	}
	n := len(xs)
	means := make([]float64, resamples)
	for r := range means {
		var sum float64
		for range n {
			sum += xs[rng.IntN(n)]
		}
		means[r] = sum / float64(n)
	}
	slices.Sort(means)
	iv.Centre = stat.Mean(xs, nil)
	iv.Lo = stat.Quantile((1-level)/2, stat.Empirical, means, nil)
	iv.Hi = stat.Quantile((1+level)/2, stat.Empirical, means, nil)
	return iv, nil
}

// Wilson returns the pooled proportion successes/n with a Wilson score
// interval at the given level. Centre is the observed proportion
// successes/n (not the Wilson midpoint), so the interval is asymmetric
// about it.
//
// Wilson treats episodes as independent trials, which they are not when
// they come from a few trained agents: use it only for a secondary,
// labelled figure, and [MeanT] over seeds for claims.
//
// With n = 0 every bound is NaN. Lo is exactly 0 when successes is 0 and
// Hi is exactly 1 when successes is n. Wilson returns an error if level is
// not in (0, 1), n < 0, or successes is not in [0, n].
func Wilson(successes, n int, level float64) (Interval, error) {
	if err := checkLevel(level); err != nil {
		return Interval{}, err
	}
	if n < 0 || successes < 0 || successes > n {
		return Interval{}, fmt.Errorf("stats: %d successes out of %d trials", successes, n)
	}
	iv := Interval{Centre: math.NaN(), Lo: math.NaN(), Hi: math.NaN(), N: n, Level: level, Method: MethodWilson}
	if n == 0 {
		return iv, nil
	}
	z := distuv.UnitNormal.Quantile((1 + level) / 2)
	nf := float64(n)
	p := float64(successes) / nf
	z2n := z * z / nf
	mid := (p + z2n/2) / (1 + z2n)
	hw := z / (1 + z2n) * math.Sqrt(p*(1-p)/nf+z2n/(4*nf))
	iv.Centre = p
	iv.Lo = math.Max(0, mid-hw)
	iv.Hi = math.Min(1, mid+hw)
	if successes == 0 {
		iv.Lo = 0
	}
	if successes == n {
		iv.Hi = 1
	}
	return iv, nil
}
