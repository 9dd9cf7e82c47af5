package data_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"

	"github.com/mesa-alignment/mesa/data"
)

// Example writes a small run, an episode and a training iteration, and
// reads it back from the files alone.
func Example() {
	dir, err := os.MkdirTemp("", "mesa-run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	w, err := data.Create(dir, data.RunInfo{RunID: "demo", RootSeed: 1, Config: []byte("seed: 1\n")}, data.Options{})
	if err != nil {
		log.Fatal(err)
	}
	err = w.AppendTraining(data.TrainingRow{
		Optimizer: data.OptimizerSGD, Family: "planner", AgentSeed: 7, Distribution: "train",
		Iteration: 1, EnvSteps: 512, Episodes: 8, FitnessMean: 0.25, Best: 0.25,
	})
	if err != nil {
		log.Fatal(err)
	}
	err = w.AppendEpisodes(data.EpisodeRow{
		Optimizer: data.OptimizerSGD, Family: "planner", AgentID: "sgd/planner/s0", AgentSeed: 7,
		Split: data.SplitDeploy, Distribution: "deploy", LevelSeed: 99, Width: 15, Height: 15, Steps: 40,
		ExitColour: "gray", Outcome: data.OutcomeProxy, Proxy: "colour:green", PursuedRole: data.PursuedProxy, FirstTarget: "apple:green", FirstStep: 12,
	})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	m, err := data.VerifyRun(dir)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("run", m.RunID, m.Status)
	for _, t := range m.Tables {
		fmt.Println(t.File, t.Rows, "rows")
	}
	r, err := data.OpenEpisodes(filepath.Join(dir, "episodes.arrow"), nil)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		e := r.Row()
		fmt.Printf("%s on %s: %s (%s, first %s at step %d)\n", e.AgentID, e.Split, e.Outcome, e.Proxy, e.FirstTarget, e.FirstStep)
	}
	if err := r.Err(); err != nil {
		log.Fatal(err)
	}
	// Output:
	// run demo complete
	// episodes.arrow 1 rows
	// training.arrow 1 rows
	// agents.arrow 0 rows
	// attribution.arrow 0 rows
	// sgd/planner/s0 on deploy: proxy (colour:green, first apple:green at step 12)
}

// ExampleOpenRun reads a run through its verified readers: a table whose
// bytes changed since the run was written is refused, naming the file.
func ExampleOpenRun() {
	dir, err := os.MkdirTemp("", "mesa-run")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	w, err := data.Create(dir, data.RunInfo{RunID: "demo"}, data.Options{})
	if err != nil {
		log.Fatal(err)
	}
	if err := w.Close(); err != nil {
		log.Fatal(err)
	}

	r, err := data.OpenRun(dir)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	fmt.Println("run", r.Manifest().RunID, r.Manifest().Status)
	ep, err := r.Episodes(nil)
	if err != nil {
		log.Fatal(err)
	}
	rows, err := ep.ReadAll()
	ep.Close()
	fmt.Println(len(rows), "episodes,", err)

	// One byte of the table changed.
	path := filepath.Join(dir, "episodes.arrow")
	b, _ := os.ReadFile(path)
	b[len(b)/2] ^= 1
	_ = os.WriteFile(path, b, 0o644)
	_, err = r.Episodes(nil)
	fmt.Println(err != nil && strings.HasPrefix(err.Error(), "data: "+path+": sha256"))
	// Output:
	// run demo complete
	// 0 episodes, <nil>
	// true
}
