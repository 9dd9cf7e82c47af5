package experiment

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"mesa/agents"
	"mesa/data"
	"mesa/train"
	"mesa/world"
)

func readTable[R any](t *testing.T, open func(string, *data.ReadOptions) (*data.Reader[R], error), path string) []R {
	t.Helper()
	r, err := open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rows, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// TestRecorders records the same statistics through a writer's recorder
// and through a trainingLog, and converts a training result into agent
// rows: both give the same rows, with the conventional agent id.
func TestRecorders(t *testing.T) {
	dir := t.TempDir()
	w, err := data.Create(dir, data.RunInfo{RunID: "run-test"}, data.Options{})
	if err != nil {
		t.Fatal(err)
	}
	run := trainingRun{Optimizer: "es", Family: "planner", AgentSeed: 3, Distribution: "train"}
	stats := []train.Stats{
		{Method: "es", Iteration: 1, EnvSteps: 100, Episodes: 4, Min: 0, Mean: 0.5, Max: 1, Std: 0.5, Best: 1, Params: []float64{3, 4}},
		{Method: "es", Iteration: 2, EnvSteps: 200, Episodes: 8, Mean: 0.75, Best: 1, Elapsed: time.Second},
	}
	rec := run.recorder(w)
	log := trainingLog{run: run}
	for i := range stats {
		if err := rec.Record(&stats[i]); err != nil {
			t.Fatal(err)
		}
		if err := log.Record(&stats[i]); err != nil {
			t.Fatal(err)
		}
	}
	if err := rec.Record(&train.Stats{Method: "ga"}); err == nil {
		t.Error("recorder took stats of another method")
	}
	if err := log.Record(&train.Stats{Method: "ga"}); err == nil {
		t.Error("log took stats of another method")
	}
	if err := w.AppendTraining(log.rows...); err != nil {
		t.Fatal(err)
	}
	res := &train.Result{Status: train.StepBudget, EnvSteps: 200, Episodes: 8, Last: train.Stats{Iteration: 2},
		Agents: []train.Agent{{Role: "final", Params: []float64{1, 0}, Fitness: 0.75}}}
	if err := w.AppendAgents(run.agentRows(res, nil)...); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readTable(t, data.OpenTraining, filepath.Join(dir, "training.arrow"))
	if len(got) != 4 || got[0] != got[2] || got[1] != got[3] {
		t.Fatalf("recorder and log rows differ: %+v", got)
	}
	want := data.TrainingRow{RunID: "run-test", Optimizer: "es", Family: "planner", AgentSeed: 3, Iteration: 1,
		EnvSteps: 100, Episodes: 4, FitnessMean: 0.5, FitnessMax: 1, FitnessStd: 0.5, Best: 1, Distribution: "train", ParamNorm: 5}
	if got[0] != want {
		t.Errorf("row %+v\nwant %+v", got[0], want)
	}
	if got[1].Elapsed != time.Second {
		t.Errorf("elapsed %v, want 1s", got[1].Elapsed)
	}
	ag := readTable(t, data.OpenAgents, filepath.Join(dir, "agents.arrow"))
	if len(ag) != 1 || ag[0].AgentID != "es/planner/3/final/0" || ag[0].Status != "step_budget" || ag[0].Iterations != 2 {
		t.Errorf("agent row %+v", ag)
	}
}

// TestAgentRowsReadout converts a planner's result: parameter names from
// the family and the readout of θ as the mesa objective.
func TestAgentRowsReadout(t *testing.T) {
	fam := agents.Planner{}
	theta := make([]float64, fam.Dim())
	theta[0] = 1
	run := trainingRun{Optimizer: "sgd", Family: fam.Name(), AgentSeed: 42}
	rows := run.agentRows(&train.Result{Agents: []train.Agent{{Role: "final", Params: theta}}}, fam)
	if len(rows) != 1 || rows[0].AgentID != "sgd/planner/42/final/0" {
		t.Fatalf("rows %+v", rows)
	}
	if !reflect.DeepEqual(rows[0].ParamNames, fam.ParamNames()) {
		t.Errorf("param names %v", rows[0].ParamNames)
	}
	readout := fam.Readout(theta)
	if len(rows[0].Objective) != len(readout) || len(readout) == 0 {
		t.Fatalf("objective %v, readout %v", rows[0].Objective, readout)
	}
	for i, w := range readout {
		if rows[0].Objective[i] != (data.Weight{Feature: w.Feature, Weight: w.Weight}) {
			t.Errorf("objective[%d] = %+v, readout %+v", i, rows[0].Objective[i], w)
		}
	}
	if weights(nil) != nil {
		t.Error("a nil readout is not a null objective")
	}
}

// TestEpisodeFromRunner fills a row from a real episode and checks the
// level and behaviour columns against the level.
func TestEpisodeFromRunner(t *testing.T) {
	l, err := world.Parse([]byte("mesa-level v1 steps=40 cue=true seed=5 randomized=false\n" +
		"#######\n" +
		"#S..#.#\n" +
		"#.#.#.#\n" +
		"#.#r..#\n" +
		"#.###.#\n" +
		"#....G#\n" +
		"#######\n"))
	if err != nil {
		t.Fatal(err)
	}
	// Down four times, right four: straight to the exit.
	moves := []world.Action{world.Down, world.Down, world.Down, world.Down, world.Right, world.Right, world.Right, world.Right}
	var tr agents.Trajectory
	r := agents.Runner{Greedy: true, Trajectory: &tr}
	sum := r.Run(&script{moves: moves}, l, nil)
	var row data.EpisodeRow
	setEpisode(&row, r.Episode(), sum)
	// The runner's default base return, world.Sooner: 1 − 0.9·8/40.
	want := data.EpisodeRow{LevelSeed: 5, Width: 7, Height: 7, Steps: 8, BaseReturn: 1 - 0.9*8.0/40, ReachedExit: true,
		FirstTarget: "exit", Greedy: true, FirstStep: 8, StepLimit: 40, ExitColour: "green", ExitX: 5, ExitY: 5,
		StartX: 1, StartY: 1, EndX: 5, EndY: 5, Apples: 1, Cue: true, ShortestPath: 8, CellsVisited: 9}
	if !reflect.DeepEqual(row, want) {
		t.Errorf("row %+v\nwant %+v", row, want)
	}
	steps := stepRows(nil, "oracle", "train", 0, &tr, l)
	if len(steps) != 8 || steps[0] != (data.StepRow{AgentID: "oracle", Split: "train", T: 1, X: 1, Y: 2, Action: "down"}) ||
		steps[7].Object != "exit" || steps[7].X != 5 {
		t.Errorf("steps %+v", steps)
	}
	if got := objectName(l.Apples[0]); got != "apple:red" {
		t.Errorf("apple named %q", got)
	}
}

// script plays a fixed sequence of moves.
type script struct {
	moves []world.Action
	t     int
}

func (s *script) Reset(*world.Episode) { s.t = 0 }
func (s *script) Probs(p *agents.Probs, _ *world.Episode) {
	*p = agents.Probs{}
	p[s.moves[s.t%len(s.moves)]] = 1
	s.t++
}
