package figure

import (
	"errors"
	"math"
	"testing"
)

func TestHeatmapGolden(t *testing.T) {
	objectives := []string{"base", "green", "apples", "corner", "random"}
	agents := []string{"SGD seed 1", "SGD seed 2", "CMA-ES seed 1", "CMA-ES seed 2", "GA seed 1", "GA seed 2"}
	signed := make([][]float64, len(agents))
	share := make([][]float64, len(agents))
	for r := range agents {
		for c := range objectives {
			v := math.Sin(float64(3*r+2*c)) * 0.8
			signed[r] = append(signed[r], v)
			share[r] = append(share[r], 0.5+0.5*math.Cos(float64(r*c)))
		}
	}
	signed[4][2] = math.NaN()
	for _, tc := range []struct {
		name           string
		title          string
		zLabel         string
		values         [][]float64
		lo, hi         float64
		rows, cols     []string
		xLabel, yLabel string
	}{
		{"heatmap_signed", "Attribution: agreement of each agent with candidate objectives", "rank correlation (−1 to 1)",
			signed, -1, 1, agents, objectives, "candidate objective", "agent (optimizer, training seed)"},
		{"heatmap_share", "Share of probe episodes consistent with each objective", "share of episodes (0–1)",
			share, 0, 1, agents, objectives, "candidate objective", "agent (optimizer, training seed)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Heatmap(tc.title, tc.xLabel, tc.yLabel, tc.zLabel, tc.rows, tc.cols, tc.values, tc.lo, tc.hi)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, p)
		})
	}
}

func TestHeatmapErrors(t *testing.T) {
	two := []string{"a", "b"}
	sq := [][]float64{{1, 2}, {3, 4}}
	for _, tc := range []struct {
		name       string
		rows, cols []string
		values     [][]float64
		lo, hi     float64
		empty      bool
	}{
		{"no rows", nil, two, nil, 0, 1, true},
		{"no cols", two, nil, [][]float64{{}, {}}, 0, 1, true},
		{"rows", two, two, sq[:1], 0, 1, false},
		{"cols", two, two, [][]float64{{1}, {2, 3}}, 0, 1, false},
		{"range", two, two, sq, 1, 1, false},
		{"NaN range", two, two, sq, nan, 1, false},
		{"Inf", two, two, [][]float64{{1, math.Inf(1)}, {2, 3}}, 0, 1, false},
		{"all NaN", two, two, [][]float64{{nan, nan}, {nan, nan}}, 0, 1, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Heatmap("t", "x", "y", "z", tc.rows, tc.cols, tc.values, tc.lo, tc.hi)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrEmpty) != tc.empty {
				t.Errorf("error %q: errors.Is(err, ErrEmpty) = %v, want %v", err, !tc.empty, tc.empty)
			}
		})
	}
}
