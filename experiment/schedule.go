package experiment

import (
	"cmp"
	"slices"

	"github.com/mesa-alignment/mesa/train"
)

// stepCost is the rough cost of one training env step of a family under an
// optimizer, relative to a GA planner's, from BenchmarkTrain (one worker,
// 4M steps): what ordering units longest first needs, nothing more.
var stepCost = map[[2]string]float64{
	{"ga", "planner"}: 1, {"es", "planner"}: 1, {"sgd", "planner"}: 2.5,
	{"ga", "reactive"}: 1, {"es", "reactive"}: 1, {"sgd", "reactive"}: 1.5,
	{"ga", "mlp"}: 6, {"es", "mlp"}: 6, {"sgd", "mlp"}: 12,
}

// longestFirst returns the units to run in decreasing order of their
// expected cost (training budget times stepCost; scripted references,
// which train nothing, last), ties in canonical order: run on a few
// workers, the long units start first and the run does not end waiting for
// one of them. The order changes no file: units write their own, merged
// in canonical order.
func longestFirst(plan *Plan, todo []Unit) []Unit {
	budgets := map[int]int{} // by point
	budget := func(k int) int {
		b, ok := budgets[k]
		if !ok {
			if c, err := plan.Config.Point(k); err == nil {
				b = c.Budget.EnvSteps
			}
			if b == 0 {
				b = train.DefaultEnvSteps
			}
			budgets[k] = b
		}
		return b
	}
	cost := func(u Unit) float64 {
		if u.Scripted() {
			return 0
		}
		steps := budget(u.Point)
		w, ok := stepCost[[2]string{u.Optimizer, u.Family}]
		if !ok {
			w = 1
		}
		return float64(steps) * w
	}
	out := slices.Clone(todo)
	slices.SortStableFunc(out, func(a, b Unit) int { return cmp.Compare(cost(b), cost(a)) })
	return out
}
