package experiment

import (
	"fmt"
	"math"
	"slices"

	"mesa/evolve"
	"mesa/sgd"
	"mesa/train"
)

// An Optimizer selects a base optimizer and its settings. Zero settings mean
// the method's defaults; settings that do not apply to the method are
// rejected.
type Optimizer struct {
	// Name is the method: "ga", "es" or "sgd". A config trains with each
	// method at most once; compare settings of one method across runs
	// (mesa sweep).
	Name string `yaml:"name"`

	// GA and ES: population size and training levels per fitness
	// evaluation.
	Population int `yaml:"population,omitempty"`
	Levels     int `yaml:"levels,omitempty"`
	// GA: populations (islands) and migration between them.
	Populations       int     `yaml:"populations,omitempty"`
	Migrants          int     `yaml:"migrants,omitempty"`
	MigrationInterval int     `yaml:"migration_interval,omitempty"`
	Model             string  `yaml:"model,omitempty"`     // generational, steady-state, down-to-size, mutation-only
	Selection         string  `yaml:"selection,omitempty"` // tournament, elitism
	Tournament        int     `yaml:"tournament,omitempty"`
	Elites            int     `yaml:"elites,omitempty"`
	Crossover         string  `yaml:"crossover,omitempty"` // uniform, arithmetic, none
	CrossoverRate     float64 `yaml:"crossover_rate,omitempty"`
	MutationRate      float64 `yaml:"mutation_rate,omitempty"`
	GeneRate          float64 `yaml:"gene_rate,omitempty"`
	// GA (mutation) and ES (perturbation) standard deviation.
	Sigma float64 `yaml:"sigma,omitempty"`
	// ES and SGD step size. Unset, SGD's Adam takes the family's default
	// (sgd.DefaultLearningRates: planner 0.05, reactive 0.02, mlp 0.01).
	LearningRate float64 `yaml:"learning_rate,omitempty"`
	// SGD: episodes per update, update rule, baseline, entropy bonus,
	// clipping and level pool.
	Batch        int     `yaml:"batch,omitempty"`
	Update       string  `yaml:"update,omitempty"` // adam, momentum, sgd
	Momentum     float64 `yaml:"momentum,omitempty"`
	Baseline     string  `yaml:"baseline,omitempty"`
	BaselineRate float64 `yaml:"baseline_rate,omitempty"`
	EntropyBonus float64 `yaml:"entropy_bonus,omitempty"`
	ClipNorm     float64 `yaml:"clip_norm,omitempty"`
	LevelPool    int     `yaml:"level_pool,omitempty"`
}

// Methods lists the optimizer names a config accepts.
var Methods = []string{"ga", "es", "sgd"}

func (o *Optimizer) validate() error {
	if !slices.Contains(Methods, o.Name) {
		return fmt.Errorf("name: unknown optimizer %q (known: ga, es, sgd)", o.Name)
	}
	type use struct {
		field string
		set   bool
		names []string
	}
	for _, u := range []use{
		{"population", o.Population != 0, []string{"ga", "es"}},
		{"levels", o.Levels != 0, []string{"ga", "es"}},
		{"populations", o.Populations != 0, []string{"ga"}},
		{"migrants", o.Migrants != 0, []string{"ga"}},
		{"migration_interval", o.MigrationInterval != 0, []string{"ga"}},
		{"model", o.Model != "", []string{"ga"}},
		{"selection", o.Selection != "", []string{"ga"}},
		{"tournament", o.Tournament != 0, []string{"ga"}},
		{"elites", o.Elites != 0, []string{"ga"}},
		{"crossover", o.Crossover != "", []string{"ga"}},
		{"crossover_rate", o.CrossoverRate != 0, []string{"ga"}},
		{"mutation_rate", o.MutationRate != 0, []string{"ga"}},
		{"gene_rate", o.GeneRate != 0, []string{"ga"}},
		{"sigma", o.Sigma != 0, []string{"ga", "es"}},
		{"learning_rate", o.LearningRate != 0, []string{"es", "sgd"}},
		{"batch", o.Batch != 0, []string{"sgd"}},
		{"update", o.Update != "", []string{"sgd"}},
		{"momentum", o.Momentum != 0, []string{"sgd"}},
		{"baseline", o.Baseline != "", []string{"sgd"}},
		{"baseline_rate", o.BaselineRate != 0, []string{"sgd"}},
		{"entropy_bonus", o.EntropyBonus != 0, []string{"sgd"}},
		{"clip_norm", o.ClipNorm != 0, []string{"sgd"}},
		{"level_pool", o.LevelPool != 0, []string{"sgd"}},
	} {
		if u.set && !slices.Contains(u.names, o.Name) {
			return fmt.Errorf("%s: does not apply to optimizer %s", u.field, o.Name)
		}
	}
	// sgd reads a negative norm as "no clipping"; a config says what it
	// means instead, and a norm of ±Inf or NaN is a typo.
	if !(o.ClipNorm >= 0 && o.ClipNorm <= math.MaxFloat64) {
		return fmt.Errorf("clip_norm: %v out of range: want a finite norm > 0 (0 means %v; a large norm such as 1e9 leaves gradients unclipped)", o.ClipNorm, sgd.DefaultClipNorm)
	}
	_, err := o.Build()
	return err
}

// Build returns the train.Method the config describes.
func (o Optimizer) Build() (train.Method, error) {
	var m interface {
		train.Method
		Validate() error
	}
	switch o.Name {
	case "ga":
		m = &evolve.GA{
			PopulationSize: o.Population, Populations: o.Populations, Levels: o.Levels,
			Model: evolve.Model(o.Model), Selection: evolve.Selection(o.Selection),
			TournamentSize: o.Tournament, Elites: o.Elites, Crossover: evolve.Crossover(o.Crossover),
			CrossoverRate: o.CrossoverRate, MutationRate: o.MutationRate, GeneRate: o.GeneRate,
			Sigma: o.Sigma, Migrants: o.Migrants, MigrationInterval: o.MigrationInterval,
		}
	case "es":
		m = &evolve.ES{Population: o.Population, Sigma: o.Sigma, LearningRate: o.LearningRate, Levels: o.Levels}
	case "sgd":
		r := &sgd.REINFORCE{BatchSize: o.Batch, BaselineRate: o.BaselineRate, EntropyBonus: o.EntropyBonus,
			ClipNorm: o.ClipNorm, LevelPool: o.LevelPool}
		switch o.Update {
		case "", "adam":
			if o.Momentum != 0 {
				return nil, fmt.Errorf("momentum: applies to update momentum, not %s", orStr(o.Update, "adam"))
			}
			// An unset learning_rate leaves the optimizer to REINFORCE,
			// whose Adam takes the family's default step size
			// (sgd.DefaultLearningRateFor), not Adam's generic one.
			if o.LearningRate != 0 {
				r.Optimizer = &sgd.Adam{LearningRate: o.LearningRate}
			}
		case "momentum":
			r.Optimizer = &sgd.Momentum{LearningRate: o.LearningRate, Momentum: o.Momentum}
		case "sgd":
			if o.Momentum != 0 {
				return nil, fmt.Errorf("momentum: applies to update momentum, not sgd")
			}
			r.Optimizer = &sgd.SGD{LearningRate: o.LearningRate}
		default:
			return nil, fmt.Errorf("update: unknown update rule %q (known: adam, momentum, sgd)", o.Update)
		}
		if o.Baseline != "" {
			b, err := sgd.ParseBaseline(o.Baseline)
			if err != nil {
				return nil, fmt.Errorf("baseline: %w", err)
			}
			r.Baseline = b
		}
		m = r
	default:
		return nil, fmt.Errorf("name: unknown optimizer %q", o.Name)
	}
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return m, nil
}

func orStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
