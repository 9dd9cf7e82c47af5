package evolve

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"

	"mesa/agents"
	"mesa/train"
	"mesa/train/traintest"
	"mesa/world"
)

// methods is every configuration the determinism test covers.
func methods() map[string]train.Method {
	ms := map[string]train.Method{
		"ga/islands":   &GA{PopulationSize: 12, Levels: 6, Populations: 3, Migrants: 2, MigrationInterval: 2},
		"ga/elitism":   &GA{PopulationSize: 12, Levels: 6, Selection: Elitism, Crossover: Arithmetic, Elites: 3},
		"ga/no-elites": &GA{PopulationSize: 12, Levels: 6, Elites: -1, Crossover: NoCrossover, GeneRate: 0.3},
		"es":           &ES{Population: 12, Levels: 6},
	}
	for _, m := range Models {
		ms["ga/"+string(m)] = &GA{Model: m, PopulationSize: 12, Levels: 6, Populations: 2, MigrationInterval: 1}
	}
	return ms
}

// TestDeterministicWorkers: the same seed gives byte-identical agents and
// statistics with 1 and 2 workers, for every model and option.
func TestDeterministicWorkers(t *testing.T) {
	p := &train.Problem{Family: agents.Planner{}, Train: trainPreset(t), Seed: 42}
	for name, m := range methods() {
		var enc [2][]byte
		for w := range enc {
			rec := &traintest.Recorder{}
			res, err := m.Train(t.Context(), p, &train.Settings{Iterations: 5, Workers: w + 1, Recorder: rec})
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if res.Status != train.IterationLimit {
				t.Errorf("%s: status %v", name, res.Status)
			}
			enc[w] = traintest.Encode(nil, res, rec.Stats)
		}
		if !bytes.Equal(enc[0], enc[1]) {
			t.Errorf("%s: 1 and 2 workers differ", name)
		}
	}
}

func TestGAValidate(t *testing.T) {
	tests := []struct {
		ga    GA
		field string // "" for valid
	}{
		{GA{}, ""},
		{GA{Model: SteadyState, Selection: Elitism, Crossover: Arithmetic}, ""},
		{GA{PopulationSize: 1}, "population_size"},
		{GA{PopulationSize: -3}, "population_size"},
		{GA{Populations: -1}, "populations"},
		{GA{Levels: -1}, "levels"},
		{GA{TournamentSize: 65}, "tournament_size"},
		{GA{PopulationSize: 4, Elites: 4}, "elites"},
		{GA{Migrants: 65}, "migrants"},
		{GA{MigrationInterval: -1}, "migration_interval"},
		{GA{HallOfFame: -1}, "hall_of_fame"},
		{GA{CrossoverRate: 1.5}, "crossover_rate"},
		{GA{MutationRate: -0.1}, "mutation_rate"},
		{GA{GeneRate: math.NaN()}, "gene_rate"},
		{GA{Sigma: math.Inf(1)}, "sigma"},
		{GA{Model: "ring"}, "model"},
		{GA{Selection: "roulette"}, "selection"},
		{GA{Crossover: "pmx"}, "crossover"},
	}
	for _, tt := range tests {
		err := tt.ga.Validate()
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%+v: %v", tt.ga, err)
		case tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field+":")):
			t.Errorf("%+v: error %v, want one naming %s", tt.ga, err, tt.field)
		}
	}
	p := &train.Problem{Family: agents.Planner{}, Train: trainPreset(t)}
	if _, err := (&GA{Model: "ring"}).Train(t.Context(), p, nil); err == nil {
		t.Error("Train accepted an invalid GA")
	}
}

func TestESValidate(t *testing.T) {
	tests := []struct {
		es    ES
		field string
	}{
		{ES{}, ""},
		{ES{Population: 2}, "population"},
		{ES{Levels: -1}, "levels"},
		{ES{Sigma: -1}, "sigma"},
		{ES{LearningRate: math.NaN()}, "learning_rate"},
	}
	for _, tt := range tests {
		err := tt.es.Validate()
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%+v: %v", tt.es, err)
		case tt.field != "" && (err == nil || !strings.Contains(err.Error(), tt.field+":")):
			t.Errorf("%+v: error %v, want one naming %s", tt.es, err, tt.field)
		}
	}
}

// TestGALearnsTrain trains GAs on the "train" preset with the planner
// family and scores their best agent on held-out training levels. Budgets
// (env steps) are stated per case; the zero GA's is LearningBudget.
func TestGALearnsTrain(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("learning runs are long in -short and -race mode")
	}
	d := trainPreset(t)
	g, err := world.NewGenerator(d)
	if err != nil {
		t.Fatal(err)
	}
	levels := train.Levels(g, 1000, "test/held-out", 0, 256)
	tests := []struct {
		name   string
		ga     *GA
		seed   uint64
		budget int
	}{
		{"default/seed2", &GA{}, 2, LearningBudget},
		{"default/seed3", &GA{}, 3, LearningBudget},
		{"islands", &GA{Populations: 2, PopulationSize: 32, Migrants: 2}, 1, LearningBudget},
		{"down-to-size", &GA{Model: DownToSize}, 1, 6_000_000},
		{"steady-state", &GA{Model: SteadyState}, 1, 6_000_000},
	}
	for _, tt := range tests {
		p := &train.Problem{Family: agents.Planner{}, Train: d, Seed: tt.seed}
		res, err := tt.ga.Train(t.Context(), p, &train.Settings{EnvSteps: tt.budget})
		if err != nil {
			t.Fatal(err)
		}
		best := math.Inf(-1)
		for _, a := range res.Agents {
			s, err := traintest.Score(t.Context(), agents.Planner{}, a.Params, levels, 1)
			if err != nil {
				t.Fatal(err)
			}
			best = max(best, s)
		}
		t.Logf("%s: %v after %d generations, %d env steps: best held-out return %.3f", tt.name, res.Status, res.Last.Iteration, res.EnvSteps, best)
		if best < 0.95 {
			t.Errorf("%s: best held-out return %.3f < 0.95 within %d env steps", tt.name, best, tt.budget)
		}
	}
}

func TestHallOfFame(t *testing.T) {
	p := &train.Problem{Family: thresholdFamily{W: []float64{1, 1}}, Train: trainPreset(t), Seed: 9}
	res, err := (&GA{PopulationSize: 8, Levels: 4, HallOfFame: 3}).Train(t.Context(), p, &train.Settings{Iterations: 6})
	if err != nil {
		t.Fatal(err)
	}
	var hof []train.Agent
	for _, a := range res.Agents {
		if a.Role == "hall_of_fame" {
			hof = append(hof, a)
		}
	}
	if len(hof) != 3 {
		t.Fatalf("%d hall of fame agents, want 3", len(hof))
	}
	for i, a := range hof {
		if a.Index != i {
			t.Errorf("hall of fame agent %d has index %d", i, a.Index)
		}
		if i > 0 && a.Fitness > hof[i-1].Fitness {
			t.Errorf("hall of fame not sorted: %v after %v", a.Fitness, hof[i-1].Fitness)
		}
		for _, b := range hof[:i] {
			if fmt.Sprint(a.Params) == fmt.Sprint(b.Params) {
				t.Errorf("hall of fame holds %v twice", a.Params)
			}
		}
	}
	if res.Last.Best != hof[0].Fitness {
		t.Errorf("Stats.Best %v, hall of fame best %v", res.Last.Best, hof[0].Fitness)
	}
}
