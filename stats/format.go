package stats

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// FormatInterval formats iv for a table, in the habits of benchstat.
//
// If percent is true the values are proportions and are printed as
// percentages with one decimal ("42.0%"); otherwise the number of decimals
// is chosen to give the interval's half-width two significant figures.
//
// A symmetric interval (Student-t, or zero width) prints as centre ±
// half-width, "42.0% ± 6.1%". An asymmetric one (bootstrap, Wilson) prints
// its bounds, "80.0% [49.0%, 94.3%]", because a single ± would misstate
// one side. An interval with no bounds (one seed) prints as "42.0% ± ∞",
// and one with no centre (no data) as "n/a".
func FormatInterval(iv Interval, percent bool) string {
	if math.IsNaN(iv.Centre) {
		return "n/a"
	}
	f := numberFormat(percent, (iv.Hi-iv.Lo)/2)
	if math.IsNaN(iv.Lo) || math.IsNaN(iv.Hi) {
		return f(iv.Centre) + " ± ∞"
	}
	up, down := iv.Hi-iv.Centre, iv.Centre-iv.Lo
	scale := math.Max(math.Abs(iv.Lo), math.Abs(iv.Hi))
	if math.Abs(up-down) <= 1e-9*scale {
		return f(iv.Centre) + " ± " + f(math.Max(up, down))
	}
	return f(iv.Centre) + " [" + f(iv.Lo) + ", " + f(iv.Hi) + "]"
}

// FormatComparison formats c for a table, in the habits of benchstat:
// the difference mean(a) - mean(b) with its sign, the p-value and the
// number of seeds in each group, "+12.0 pp (p=0.008 n=5+5)", or "~" in
// place of the difference when it is not significant,
// "~ (p=0.310 n=5+5)".
//
// If percent is true the groups are proportions and the difference is
// printed in percentage points ("pp"), not as a relative change; otherwise
// it is printed with as many decimals as the groups' intervals (see
// [FormatInterval]). The p-value is P, which is adjusted if [AdjustHolm]
// has been applied; name the adjustment in a footnote (see [Footnote]).
// A comparison without a p-value (an empty group) prints as
// "n/a (n=0+5)".
func FormatComparison(c Comparison, percent bool) string {
	n := fmt.Sprintf("n=%d+%d", c.NA, c.NB)
	if math.IsNaN(c.P) || c.Test == "" {
		return "n/a (" + n + ")"
	}
	var p string
	if c.P < 0.001 {
		p = "p<0.001"
	} else {
		p = fmt.Sprintf("p=%.3f", c.P)
	}
	if !c.Significant {
		return "~ (" + p + " " + n + ")"
	}
	hw := math.NaN()
	for _, iv := range []Interval{c.A, c.B} {
		if w := (iv.Hi - iv.Lo) / 2; w > 0 && !(w >= hw) {
			hw = w
		}
	}
	d := numberFormat(percent, hw)(c.Diff)
	if percent {
		d = strings.TrimSuffix(d, "%") + " pp"
	}
	if c.Diff >= 0 {
		d = "+" + d
	}
	return d + " (" + p + " " + n + ")"
}

// numberFormat returns a formatter for values whose uncertainty is about
// halfWidth.
func numberFormat(percent bool, halfWidth float64) func(float64) string {
	if percent {
		return func(x float64) string { return strconv.FormatFloat(100*x, 'f', 1, 64) + "%" }
	}
	if !(halfWidth > 0) || math.IsInf(halfWidth, 0) {
		return func(x float64) string { return strconv.FormatFloat(x, 'g', 4, 64) }
	}
	d := 1 - int(math.Floor(math.Log10(halfWidth)))
	d = min(max(d, 0), 6)
	return func(x float64) string { return strconv.FormatFloat(x, 'f', d, 64) }
}

// Footnote returns a line stating how the numbers in a table were
// obtained, for example
//
//	intervals: 95% t over training seeds; tests: exact permutation over seeds, Holm-adjusted over 6 comparisons; ~: p ≥ 0.05
//
// iv is any interval of the table (its Level and Method are described);
// cs are its comparisons, and may be empty. Distinct test names are
// listed in order of first appearance.
func Footnote(iv Interval, cs []Comparison) string {
	level := strconv.FormatFloat(100*iv.Level, 'g', 4, 64) + "%"
	var b strings.Builder
	b.WriteString("intervals: " + level + " ")
	switch iv.Method {
	case MethodT:
		b.WriteString("t over training seeds")
	case MethodBootstrap:
		b.WriteString("percentile bootstrap over training seeds")
	case MethodWilson:
		b.WriteString("Wilson score over pooled episodes")
	default:
		b.WriteString(iv.Method)
	}
	if len(cs) == 0 {
		return b.String()
	}
	var tests []string
	for _, c := range cs {
		if c.Test != "" && !slices.Contains(tests, c.Test) {
			tests = append(tests, c.Test)
		}
	}
	if len(tests) == 0 {
		return b.String()
	}
	b.WriteString("; tests: " + strings.Join(tests, " / ") + " over seeds")
	if c := cs[0]; c.Adjust != "" {
		fmt.Fprintf(&b, ", %s-adjusted over %d comparisons", c.Adjust, c.Family)
	}
	fmt.Fprintf(&b, "; ~: p ≥ %s", strconv.FormatFloat(cs[0].Alpha, 'g', -1, 64))
	return b.String()
}
