package experiment

import (
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
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

// TestCheckpointRecorder records a GA-like run of two populations through
// the checkpoint recorder: it keeps the first iteration, the first at or
// past each checkpoint and the last, all populations of each, and
// monitors the generation's best member on the last row of each; with all
// set it keeps every iteration. Agent rows carry the conventional id.
func TestCheckpointRecorder(t *testing.T) {
	fam := agents.Planner{}
	mon := &monitor{fam: fam, root: 1, id: "p0/ga/planner/s0"}
	d, err := world.Preset("train")
	if err != nil {
		t.Fatal(err)
	}
	g, err := world.NewGenerator(d)
	if err != nil {
		t.Fatal(err)
	}
	for k := range 4 {
		mon.levels = append(mon.levels, g.Level(uint64(k+1)))
	}
	good, bad := make([]float64, fam.Dim()), make([]float64, fam.Dim())
	for i, n := range fam.ParamNames() {
		if n == "kind_exit" {
			good[i] = 10 // seeks the exit
		}
	}
	wantS, wantR := mon.measure(good)
	if badS, _ := mon.measure(bad); wantS < 0.5 || wantS <= badS {
		t.Fatalf("on the monitor levels an exit-seeker succeeds %v, a planner valuing nothing %v", wantS, badS)
	}
	// 10 generations of 100 env steps, two populations each; population 1
	// holds the best member in even generations.
	var stats []train.Stats
	for it := 1; it <= 10; it++ {
		for k := range 2 {
			st := train.Stats{Method: "ga", Iteration: it, Population: k, EnvSteps: 100 * it, Max: float64(k), Params: bad}
			if (it%2 == 0) == (k == 1) {
				st.Params = good
			}
			if k == 0 {
				st.Max = 0.5
			}
			stats = append(stats, st)
		}
	}
	for _, tc := range []struct {
		all   bool
		iters []int
	}{
		{false, []int{1, 3, 5, 8, 10}}, // the first at or past 250, 500, 750 steps, and the last
		{true, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
	} {
		dir := t.TempDir()
		w, err := data.Create(dir, data.RunInfo{RunID: "run-test"}, data.Options{})
		if err != nil {
			t.Fatal(err)
		}
		run := trainingRun{Optimizer: "ga", Family: fam.Name(), AgentSeed: 3, Distribution: "train"}
		rec := &checkpointRecorder{w: w, run: run, mon: mon, all: tc.all, every: 250}
		for i := range stats {
			if err := rec.Record(&stats[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := rec.Record(&train.Stats{Method: "sgd"}); err == nil {
			t.Error("recorder took stats of another method")
		}
		if err := rec.finish(); err != nil {
			t.Fatal(err)
		}
		res := &train.Result{Status: train.StepBudget, EnvSteps: 1000, Last: train.Stats{Iteration: 10},
			Agents: []train.Agent{{Role: "final", Params: good, Fitness: 1}}}
		if err := w.AppendAgents(run.agentRows(res, fam)...); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got := readTable(t, data.OpenTraining, filepath.Join(dir, "training.arrow"))
		var iters []int
		for i, r := range got {
			if i%2 == 0 {
				iters = append(iters, r.Iteration)
			}
			if r.Population != i%2 || r.Iteration != got[i-i%2].Iteration {
				t.Fatalf("row %d: iteration %d population %d: populations of an iteration apart", i, r.Iteration, r.Population)
			}
			checkpoint := slices.Contains([]int{1, 3, 5, 8, 10}, r.Iteration)
			if want := checkpoint && r.Population == 1; r.Monitored != want {
				t.Errorf("iteration %d population %d: monitored %v, want %v", r.Iteration, r.Population, r.Monitored, want)
			}
			if r.Monitored {
				// The best member: population 1 in even generations.
				ws, wr := wantS, wantR
				if r.Iteration%2 == 1 {
					ws, wr = mon.measure(bad)
				}
				if r.MonitorSuccess != ws || r.MonitorReturn != wr {
					t.Errorf("iteration %d: monitor %v %v, want %v %v", r.Iteration, r.MonitorSuccess, r.MonitorReturn, ws, wr)
				}
			}
		}
		if !slices.Equal(iters, tc.iters) {
			t.Errorf("all=%v: iterations %v, want %v", tc.all, iters, tc.iters)
		}
		ag := readTable(t, data.OpenAgents, filepath.Join(dir, "agents.arrow"))
		if len(ag) != 1 || ag[0].AgentID != "ga/planner/s0" || ag[0].Status != "step_budget" || ag[0].Iterations != 10 {
			t.Errorf("agent row %+v", ag)
		}
	}
}

// TestAgentRowsReadout converts a planner's result: parameter names from
// the family and the readout of θ as the mesa objective.
func TestAgentRowsReadout(t *testing.T) {
	fam := agents.Planner{}
	theta := make([]float64, fam.Dim())
	theta[0] = 1
	run := trainingRun{Optimizer: "sgd", Family: fam.Name(), AgentSeed: 42, SeedIndex: 2}
	rows := run.agentRows(&train.Result{Agents: []train.Agent{{Role: "final", Params: theta}, {Role: "population", Index: 1, Params: theta}}}, fam)
	if len(rows) != 2 || rows[0].AgentID != "sgd/planner/s2" || rows[1].AgentID != "sgd/planner/s2/population/1" || rows[0].SeedIndex != 2 {
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
