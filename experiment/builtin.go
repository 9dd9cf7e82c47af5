package experiment

import (
	"fmt"
	"math"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/evolve"
	"github.com/mesa-alignment/mesa/sgd"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// mesa's own families and base optimizers, as NewRegistry registers them.

func builtinFamilies() []FamilyType {
	return []FamilyType{
		familyType[*reactiveSettings]{"reactive", func() *reactiveSettings { return &reactiveSettings{} }},
		familyType[*plannerSettings]{"planner", func() *plannerSettings { return &plannerSettings{} }},
		familyType[*mlpSettings]{"mlp", func() *mlpSettings { return &mlpSettings{} }},
	}
}

func builtinOptimizers() []OptimizerType {
	return []OptimizerType{
		optimizerType[*gaSettings]{"ga", func() *gaSettings { return &gaSettings{} }},
		optimizerType[*esSettings]{"es", func() *esSettings { return &esSettings{} }},
		optimizerType[*sgdSettings]{"sgd", func() *sgdSettings { return &sgdSettings{} }},
	}
}

// A familyType registers a built-in family by its name and settings type;
// its default learning rate is sgd's for the name.
type familyType[S FamilySettings] struct {
	name string
	new  func() S
}

func (t familyType[S]) Name() string                { return t.name }
func (t familyType[S]) NewSettings() FamilySettings { return t.new() }
func (t familyType[S]) LearningRate() float64       { return sgd.DefaultLearningRateFor(t.name) }

// An optimizerType registers a built-in base optimizer.
type optimizerType[S OptimizerSettings] struct {
	name string
	new  func() S
}

func (t optimizerType[S]) Name() string                   { return t.name }
func (t optimizerType[S]) NewSettings() OptimizerSettings { return t.new() }

// reactiveSettings are the reactive family's: its egocentric window.
type reactiveSettings struct {
	// Radius of the egocentric window; 0 means agents.DefaultRadius.
	Radius int `yaml:"radius,omitempty"`
	// Noise is the observation noise per channel group ("salience").
	Noise world.Noise `yaml:"noise,omitempty"`
}

func (s *reactiveSettings) Family() (agents.Family, error) {
	f := agents.Reactive{Window: world.Window{Radius: s.Radius, Noise: s.Noise}}
	return f, f.Validate()
}

// mlpSettings are the mlp family's: its window and hidden width.
type mlpSettings struct {
	Radius int         `yaml:"radius,omitempty"` // 0 means agents.DefaultRadius
	Hidden int         `yaml:"hidden,omitempty"` // 0 means agents.DefaultHidden
	Noise  world.Noise `yaml:"noise,omitempty"`
}

func (s *mlpSettings) Family() (agents.Family, error) {
	f := agents.MLP{Window: world.Window{Radius: s.Radius, Noise: s.Noise}, Hidden: s.Hidden}
	return f, f.Validate()
}

// plannerSettings are the planner's: its value iteration, Boltzmann
// policy and cell features.
type plannerSettings struct {
	// Discount, Beta and Iterations of the value iteration and Boltzmann
	// policy; 0 means the planner's defaults.
	Discount   float64 `yaml:"discount,omitempty"`
	Beta       float64 `yaml:"beta,omitempty"`
	Iterations int     `yaml:"iterations,omitempty"`
	// CornerSize of the region features; 0 means 3.
	CornerSize int         `yaml:"corner_size,omitempty"`
	Noise      world.Noise `yaml:"noise,omitempty"`
}

func (s *plannerSettings) Family() (agents.Family, error) {
	f := agents.Planner{Discount: s.Discount, Beta: s.Beta, Iterations: s.Iterations,
		Planes: world.Planes{CornerSize: s.CornerSize, Noise: s.Noise}}
	return f, f.Validate()
}

// gaSettings are the genetic algorithm's (evolve.GA); zero means its
// default.
type gaSettings struct {
	// Population size and training levels per fitness evaluation.
	Population int `yaml:"population,omitempty"`
	Levels     int `yaml:"levels,omitempty"`
	// Populations (islands) and migration between them.
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
	Sigma             float64 `yaml:"sigma,omitempty"` // mutation standard deviation
}

func (s *gaSettings) Method(float64) (train.Method, error) {
	m := &evolve.GA{
		PopulationSize: s.Population, Populations: s.Populations, Levels: s.Levels,
		Model: evolve.Model(s.Model), Selection: evolve.Selection(s.Selection),
		TournamentSize: s.Tournament, Elites: s.Elites, Crossover: evolve.Crossover(s.Crossover),
		CrossoverRate: s.CrossoverRate, MutationRate: s.MutationRate, GeneRate: s.GeneRate,
		Sigma: s.Sigma, Migrants: s.Migrants, MigrationInterval: s.MigrationInterval,
	}
	return m, m.Validate()
}

func (s *gaSettings) Memory(family string, dim int, levelBytes float64) (float64, string) {
	size, pops, levels := float64(orInt(s.Population, evolve.DefaultPopulationSize)), float64(orInt(s.Populations, 1)), float64(orInt(s.Levels, evolve.DefaultLevels))
	d := float64(dim)
	return pops*size*d*8*3 + pops*size*512 + levels*levelBytes,
		fmt.Sprintf("ga %s: %.0f populations × %.0f members × θ %.0f × 3 copies × 8 B, %.0f levels", family, pops, size, d, levels)
}

// esSettings are the evolution strategy's (evolve.ES).
type esSettings struct {
	Population   int     `yaml:"population,omitempty"`
	Levels       int     `yaml:"levels,omitempty"`
	Sigma        float64 `yaml:"sigma,omitempty"`         // perturbation standard deviation
	LearningRate float64 `yaml:"learning_rate,omitempty"` // step size
}

func (s *esSettings) Method(float64) (train.Method, error) {
	m := &evolve.ES{Population: s.Population, Sigma: s.Sigma, LearningRate: s.LearningRate, Levels: s.Levels}
	return m, m.Validate()
}

func (s *esSettings) Memory(family string, dim int, levelBytes float64) (float64, string) {
	pop, levels := float64(orInt(s.Population, evolve.DefaultESPopulation)), float64(orInt(s.Levels, evolve.DefaultESLevels))
	d := float64(dim)
	return pop*d*8*3 + levels*levelBytes, fmt.Sprintf("es %s: %.0f points × θ %.0f × 3 × 8 B, %.0f levels", family, pop, d, levels)
}

// sgdSettings are REINFORCE's (sgd.REINFORCE) and its update rule's.
type sgdSettings struct {
	// LearningRate of the update rule; unset, Adam takes the family's
	// default (FamilyType.LearningRate).
	LearningRate float64 `yaml:"learning_rate,omitempty"`
	// Episodes per update, update rule, baseline, entropy bonus, clipping
	// and level pool.
	Batch        int     `yaml:"batch,omitempty"`
	Update       string  `yaml:"update,omitempty"` // adam, momentum, sgd
	Momentum     float64 `yaml:"momentum,omitempty"`
	Baseline     string  `yaml:"baseline,omitempty"`
	BaselineRate float64 `yaml:"baseline_rate,omitempty"`
	EntropyBonus float64 `yaml:"entropy_bonus,omitempty"`
	ClipNorm     float64 `yaml:"clip_norm,omitempty"`
	LevelPool    int     `yaml:"level_pool,omitempty"`
}

func (s *sgdSettings) Method(rate float64) (train.Method, error) {
	// sgd reads a negative norm as "no clipping"; a config says what it
	// means instead, and a norm of ±Inf or NaN is a typo.
	if !(s.ClipNorm >= 0 && s.ClipNorm <= math.MaxFloat64) {
		return nil, fmt.Errorf("clip_norm: %v out of range: want a finite norm > 0 (0 means %v; a large norm such as 1e9 leaves gradients unclipped)", s.ClipNorm, sgd.DefaultClipNorm)
	}
	r := &sgd.REINFORCE{BatchSize: s.Batch, BaselineRate: s.BaselineRate, EntropyBonus: s.EntropyBonus,
		ClipNorm: s.ClipNorm, LevelPool: s.LevelPool}
	switch s.Update {
	case "", "adam":
		if s.Momentum != 0 {
			return nil, fmt.Errorf("momentum: applies to update momentum, not %s", orStr(s.Update, "adam"))
		}
		r.Optimizer = &sgd.Adam{LearningRate: orFloat(s.LearningRate, rate)}
	case "momentum":
		r.Optimizer = &sgd.Momentum{LearningRate: s.LearningRate, Momentum: s.Momentum}
	case "sgd":
		if s.Momentum != 0 {
			return nil, fmt.Errorf("momentum: applies to update momentum, not sgd")
		}
		r.Optimizer = &sgd.SGD{LearningRate: s.LearningRate}
	default:
		return nil, fmt.Errorf("update: unknown update rule %q (known: adam, momentum, sgd)", s.Update)
	}
	if s.Baseline != "" {
		b, err := sgd.ParseBaseline(s.Baseline)
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		r.Baseline = b
	}
	return r, r.Validate()
}

func (s *sgdSettings) Memory(family string, dim int, levelBytes float64) (float64, string) {
	batch, pool := float64(orInt(s.Batch, sgd.DefaultBatchSize)), float64(s.LevelPool)
	d := float64(dim)
	return batch*d*8*3 + (batch+pool)*levelBytes,
		fmt.Sprintf("sgd %s: batch %.0f × θ %.0f × 3 gradients × 8 B, %.0f pooled levels", family, batch, d, pool)
}

func orStr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func orFloat(v, def float64) float64 {
	if v == 0 {
		return def
	}
	return v
}
