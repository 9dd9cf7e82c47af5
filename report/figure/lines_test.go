package figure

import (
	"errors"
	"math"
	"testing"
)

// learning returns a learning curve of n points rising to top with an
// interval that narrows; the curve is deterministic.
func learning(label string, n int, top, rate, width float64) Series {
	s := Series{Label: label}
	for i := range n {
		x := float64(i) * 25000
		c := top * (1 - math.Exp(-rate*float64(i)/float64(n)))
		c += 0.02 * math.Sin(float64(i)*0.9+top*10)
		h := width * (1 - 0.5*float64(i)/float64(n))
		s.X = append(s.X, x)
		s.Y = append(s.Y, Interval{c, c - h, c + h})
	}
	return s
}

func TestLinesGolden(t *testing.T) {
	sweep := func(label string, off float64) Series {
		s := Series{Label: label, X: []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5}}
		for i, x := range s.X {
			c := 0.9 - off - 1.1*x*x + 0.01*float64(i%2)
			s.Y = append(s.Y, Interval{c, c - 0.05 - 0.1*x, c + 0.04 + 0.1*x})
		}
		return s
	}
	gap := learning("SGD (gap in logging)", 40, 0.7, 3, 0.12)
	for i := 18; i < 22; i++ {
		gap.Y[i] = Interval{math.NaN(), math.NaN(), math.NaN()}
	}
	noCI := sweep("GA, 1 seed (no interval)", 0.25)
	for i := range noCI.Y {
		noCI.Y[i].Lo, noCI.Y[i].Hi = nan, nan
	}
	for _, tc := range []struct {
		name                  string
		title, xLabel, yLabel string
		series                []Series
	}{
		{
			"lines_learning",
			"Learning curves: base return by optimizer (mean and 95% CI over 10 seeds)",
			"environment steps", "base return (per episode)",
			[]Series{
				learning("SGD", 40, 0.8, 4, 0.1),
				learning("CMA-ES", 40, 0.65, 2.5, 0.15),
				learning("GA", 40, 0.5, 2, 0.2),
				gap,
			},
		},
		{
			"lines_sweep",
			"Sweep: exit-reaching rate vs. exit randomization (mean and 95% CI over seeds)",
			"randomization probability", "share of episodes reaching the exit",
			[]Series{sweep("SGD", 0), sweep("CMA-ES", 0.1), sweep("GA", 0.2), noCI},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Lines(tc.title, tc.xLabel, tc.yLabel, tc.series)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, p)
		})
	}
}

func TestLinesErrors(t *testing.T) {
	ok := Series{Label: "a", X: []float64{1, 2}, Y: []Interval{{1, 0, 2}, {2, 1, 3}}}
	for _, tc := range []struct {
		name   string
		series []Series
		empty  bool
	}{
		{"no series", nil, true},
		{"no points", []Series{{Label: "a"}}, true},
		{"lengths", []Series{ok, {Label: "b", X: []float64{1}, Y: []Interval{{1, 0, 2}, {2, 1, 3}}}}, false},
		{"all NaN", []Series{ok, {Label: "b", X: []float64{1}, Y: []Interval{{nan, nan, nan}}}}, true},
		{"NaN x", []Series{{Label: "b", X: []float64{nan}, Y: []Interval{{1, 0, 2}}}}, false},
		{"Inf y", []Series{{Label: "b", X: []float64{1}, Y: []Interval{{math.Inf(1), 0, 2}}}}, false},
		{"Lo > Hi", []Series{{Label: "b", X: []float64{1}, Y: []Interval{{1, 2, 0}}}}, false},
		{"half interval", []Series{{Label: "b", X: []float64{1}, Y: []Interval{{1, nan, 2}}}}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Lines("t", "x", "y", tc.series)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrEmpty) != tc.empty {
				t.Errorf("error %q: errors.Is(err, ErrEmpty) = %v, want %v", err, !tc.empty, tc.empty)
			}
		})
	}
}

// TestNegativeValues: a difference of shares such as proxy − control is
// often negative; Lines and Bars draw it below zero, on an axis that
// reaches it, not clipped to [0, 1].
func TestNegativeValues(t *testing.T) {
	neg := []Interval{{-0.375, -0.46, -0.29}, {-0.0193, -0.0362, -0.0024}, {0.1, -0.05, 0.25}}
	p, err := Lines("t", "x", "y", []Series{{Label: "a", X: []float64{0, 0.5, 1}, Y: neg}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min > -0.46 || p.Y.Max < 0.25 {
		t.Errorf("Lines: y axis [%v, %v] does not reach the intervals [-0.46, 0.25]", p.Y.Min, p.Y.Max)
	}
	p, err = Bars("t", "y", []string{"a", "b", "c"}, []Group{{Label: "g", Values: neg}})
	if err != nil {
		t.Fatal(err)
	}
	if p.Y.Min > -0.46 || p.Y.Max < 0.25 {
		t.Errorf("Bars: y axis [%v, %v] does not reach the intervals [-0.46, 0.25]", p.Y.Min, p.Y.Max)
	}
}
