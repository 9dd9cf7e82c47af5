package report

import (
	"math"
	"testing"

	"github.com/mesa-alignment/mesa/data"
)

// TestCurriculumComparisonsPair: each non-random curriculum's cell is
// compared with the random curriculum's cell at the same randomisation,
// never another; a readout that drops green to the other colours' weight
// shows as a fall of the green excess by exactly the fall built in.
func TestCurriculumComparisonsPair(t *testing.T) {
	run := &Run{Dir: "x", Manifest: &data.Manifest{RunID: "r"}, Labels: map[int]string{}, Values: map[int]map[string]string{}, Roles: map[string]string{}}
	s := &Study{Runs: []*Run{run}, Splits: []string{"deploy"}}
	point := 0
	for _, r := range []string{"0.01", "0.05"} {
		for _, cur := range []string{"random", "adversary"} {
			run.Values[point] = map[string]string{"train.randomize": r, curriculumPath: cur}
			run.Labels[point] = "train.randomize=" + r + "," + curriculumPath + "=" + cur
			for seed := range uint64(4) {
				green := 0.3
				if cur == "adversary" {
					green = 0.1
				}
				if r == "0.05" {
					green += 0.05 // a different base at the other randomisation
				}
				goal := 40 + int(seed)
				s.Agents = append(s.Agents, &Agent{Run: run, Point: point, Optimizer: "sgd", Family: "planner", ID: "a", Seed: seed,
					Splits:    map[string]*AgentSplit{"deploy": {Episodes: 100, Goal: goal, Failure: 100 - goal}},
					Objective: map[string]float64{"kind_exit": 0.2, "colour_green": green, "colour_red": 0.1, "colour_blue": 0.1}})
			}
			point++
		}
	}
	cmps, err := s.CurriculumComparisons()
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, c := range cmps {
		if c.Curriculum != "adversary" || run.Values[c.Base][curriculumPath] != "random" ||
			run.Values[c.Base]["train.randomize"] != run.Values[c.Point]["train.randomize"] {
			t.Errorf("point %d compared with point %d", c.Point, c.Base)
		}
		if c.Metric == readoutGreen {
			found++
			if math.Abs(c.Diff+0.2) > 1e-12 {
				t.Errorf("%s: green excess difference %v, want −0.2", run.Labels[c.Point], c.Diff)
			}
		}
		if c.Metric == MetricGoal.Name && c.Diff != 0 {
			t.Errorf("goal difference %v, want 0", c.Diff)
		}
	}
	if found != 2 {
		t.Errorf("%d readout comparisons, want one per randomisation", found)
	}
}
