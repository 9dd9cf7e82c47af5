package figure

import (
	"errors"
	"testing"
)

// share returns a share with a Wilson-like interval of half-width h,
// clipped to [0, 1].
func share(c, h float64) Interval {
	return Interval{c, max(0, c-h), min(1, c+h)}
}

func TestBarsGolden(t *testing.T) {
	outcomes := []string{"exit reached", "apple first", "wandered", "timeout"}
	for _, tc := range []struct {
		name   string
		title  string
		yLabel string
		cats   []string
		groups []Group
	}{
		{
			"bars_outcomes",
			"Outcome shares on the probe split, by optimizer × family (95% CI over seeds)",
			"share of episodes (0–1)",
			outcomes,
			[]Group{
				{"SGD × MLP", []Interval{share(0.62, 0.08), share(0.21, 0.06), share(0.12, 0.04), share(0.05, 0.03)}},
				{"SGD × planner", []Interval{share(0.48, 0.09), share(0.35, 0.07), share(0.1, 0.05), share(0.07, 0.03)}},
				{"CMA-ES × MLP", []Interval{share(0.55, 0.1), share(0.18, 0.06), share(0.2, 0.07), share(0.07, 0.04)}},
				{"CMA-ES × planner", []Interval{share(0.41, 0.11), share(0.44, 0.1), share(0.1, 0.05), share(0.05, 0.03)}},
				{"GA × planner (1 seed)", []Interval{{0.3, nan, nan}, {0.5, nan, nan}, {0.15, nan, nan}, {0.05, nan, nan}}},
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Bars(tc.title, tc.yLabel, tc.cats, tc.groups)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, p)
		})
	}
}

func TestWeightsGolden(t *testing.T) {
	features := []string{"distance to exit", "exit is green", "apple nearby", "steps taken", "wall contact"}
	p, err := Weights(
		"Planners' mesa-objective weights by optimizer (mean and 95% CI over 10 seeds)",
		"weight (normalized, unit L2 norm)",
		features,
		[]Group{
			{"SGD", []Interval{{-0.62, -0.7, -0.55}, {0.45, 0.3, 0.6}, {0.2, 0.05, 0.35}, {-0.1, -0.2, 0.02}, {0.05, -0.05, 0.15}}},
			{"CMA-ES", []Interval{{-0.5, -0.65, -0.35}, {0.6, 0.45, 0.72}, {0.05, -0.1, 0.2}, {-0.15, -0.25, -0.05}, {0.0, -0.1, 0.1}}},
			{"GA", []Interval{{-0.4, -0.6, -0.2}, {0.7, 0.5, 0.85}, {0.1, -0.15, 0.3}, {nan, nan, nan}, {-0.05, -0.2, 0.1}}},
		})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "weights", p)
}

func TestBarsErrors(t *testing.T) {
	two := []string{"a", "b"}
	ok := Group{"g", []Interval{{0.5, 0.4, 0.6}, {0.5, 0.4, 0.6}}}
	for _, tc := range []struct {
		name   string
		cats   []string
		groups []Group
		empty  bool
	}{
		{"no categories", nil, []Group{ok}, true},
		{"no groups", two, nil, true},
		{"lengths", two, []Group{ok, {"h", []Interval{{1, 0, 2}}}}, false},
		{"all NaN", two, []Group{{"h", []Interval{{nan, nan, nan}, {nan, nan, nan}}}}, true},
		{"Lo > Hi", two, []Group{{"h", []Interval{{1, 2, 0}, {1, 0, 2}}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for fn, f := range map[string]func() error{
				"Bars":    func() error { _, err := Bars("t", "y", tc.cats, tc.groups); return err },
				"Weights": func() error { _, err := Weights("t", "x", tc.cats, tc.groups); return err },
			} {
				err := f()
				if err == nil {
					t.Fatalf("%s: no error", fn)
				}
				if errors.Is(err, ErrEmpty) != tc.empty {
					t.Errorf("%s: error %q: errors.Is(err, ErrEmpty) = %v, want %v", fn, err, !tc.empty, tc.empty)
				}
			}
		})
	}
}
