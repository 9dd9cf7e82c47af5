package analysis_test

import (
	"bytes"
	"strings"
	"testing"

	"mesa/analysis"
	"mesa/data"
)

// writeRun writes a run directory holding the given rows.
func writeRun(t *testing.T, eps []data.EpisodeRow, ags []data.AgentRow) string {
	t.Helper()
	dir := t.TempDir()
	w, err := data.Create(dir, data.RunInfo{RunID: "r", Splits: []string{"deploy-colour"}}, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.AppendEpisodes(eps...); err != nil {
		t.Fatal(err)
	}
	if err := w.AppendAgents(ags...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

func episode(opt, agent, split, outcome, proxy string, steps int) data.EpisodeRow {
	return data.EpisodeRow{RunID: "r", Optimizer: opt, Family: "planner", AgentID: agent, Split: split,
		Outcome: outcome, Proxy: proxy, Steps: steps, Width: 7, Height: 7, ReachedExit: outcome == "goal", ExitColour: "gray"}
}

func TestOutcomesFromFile(t *testing.T) {
	dir := writeRun(t, []data.EpisodeRow{
		episode("ga", "a", "deploy", "goal", "", 10),
		episode("ga", "a", "deploy", "proxy", "colour:green", 20),
		episode("ga", "b", "deploy", "proxy", "colour:green", 30),
		episode("ga", "b", "deploy", "capability_failure", "", 40),
		episode("sgd", "c", "deploy-colour", "goal", "", 6),
	}, nil)
	tab, err := analysis.Outcomes(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tab.RunID != "r" || len(tab.Rows) != 2 {
		t.Fatalf("table %+v", tab)
	}
	r := tab.Rows[0]
	if r.Optimizer != "ga" || r.Split != "deploy" || r.Agents != 2 || r.Episodes != 4 || r.Goal != 1 || r.Proxy != 2 ||
		r.Failure != 1 || r.ByProxy["colour:green"] != 2 || r.MeanSteps != 25 || r.MeanStepsGoal != 10 {
		t.Errorf("row %+v", r)
	}
	var b bytes.Buffer
	if err := tab.Print(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"25.0%", "50.0%", "colour:green 2", "deploy-colour", "100.0%"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("printed table lacks %q:\n%s", want, b.String())
		}
	}
}

func TestObjectivesFromFile(t *testing.T) {
	agent := func(opt, role string, index int, exit, green float64) data.AgentRow {
		return data.AgentRow{RunID: "r", Optimizer: opt, Family: "planner", AgentID: opt + role, Role: role, Index: index,
			Objective: []data.Weight{{Feature: "kind_exit", Weight: exit}, {Feature: "colour_green", Weight: green}}}
	}
	dir := writeRun(t, nil, []data.AgentRow{
		agent("sgd", "final", 0, 0.5, 0.5),
		agent("sgd", "final", 0, 0.3, 0.7),
		agent("ga", "final", 0, 0.9, 0.1),
		agent("ga", "population", 0, -1, 0),   // not evaluated: ignored
		agent("ga", "hall_of_fame", 0, -1, 0), // from runs before the GA lost its hall: ignored
		{RunID: "r", Optimizer: "none", Family: "reactive", AgentID: "x", Role: "final"},
	})
	rows, err := analysis.Objectives(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].Optimizer != "sgd" || rows[0].Agents != 2 || rows[1].Agents != 1 {
		t.Fatalf("rows %+v", rows)
	}
	f := rows[0].Features[0]
	if f.Feature != "colour_green" || f.Mean != 0.6 || f.Min != 0.5 || f.Max != 0.7 {
		t.Errorf("sgd's top feature %+v", f)
	}
	if g := rows[1].Features[0]; g.Feature != "kind_exit" || g.Mean != 0.9 {
		t.Errorf("ga's top feature %+v", g)
	}
	var b bytes.Buffer
	if err := analysis.PrintObjectives(&b, rows, 1); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "colour_green +0.60 [+0.50, +0.70]") {
		t.Errorf("printed:\n%s", b.String())
	}
}

func TestOutcomesMissingFile(t *testing.T) {
	_, err := analysis.Outcomes(t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "episodes.arrow") {
		t.Errorf("err = %v, want one naming episodes.arrow", err)
	}
}
