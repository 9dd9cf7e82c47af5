package experiment

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/train/curriculum"
	"github.com/mesa-alignment/mesa/world"
)

// Curriculum chooses where training levels come from, the same for every
// base optimizer (train.curriculum in a config). Its zero value is domain
// randomisation: fresh levels of the training distribution every
// iteration. Settings that do not apply to the named curriculum are
// rejected; zero settings take the defaults of curriculum.Replay and
// curriculum.Adversary.
type Curriculum struct {
	// Name is "random" (the default, also ""), "replay" (Prioritized
	// Level Replay by exact regret) or "adversary" (replay whose new
	// levels are edits of kept ones, ACCEL-style).
	Name string `yaml:"name,omitempty"`
	// Buffer is the most levels kept (replay, adversary); 0 means
	// curriculum.DefaultBuffer.
	Buffer int `yaml:"buffer,omitempty"`
	// Temperature is β of the rank prioritisation; 0 means 0.3.
	Temperature float64 `yaml:"temperature,omitempty"`
	// Staleness is ρ, the weight of staleness in the replay
	// distribution; 0 means 0.3, a negative value none.
	Staleness float64 `yaml:"staleness,omitempty"`
	// New is the probability that a slot holds a new level; 0 means 0.5.
	New float64 `yaml:"new,omitempty"`
	// Edit is the probability that a new level of the adversary is an
	// edited child of a kept level; 0 means 0.5.
	Edit float64 `yaml:"edit,omitempty"`
	// Edits is the number of edits that make a child; 0 means 3.
	Edits int `yaml:"edits,omitempty"`
}

// Curriculum names.
const (
	CurriculumRandom    = names.CurriculumRandom
	CurriculumReplay    = names.CurriculumReplay
	CurriculumAdversary = names.CurriculumAdversary
)

// Build returns the train.Curriculum c describes.
func (c Curriculum) Build() (train.Curriculum, error) {
	r := curriculum.Replay{Buffer: c.Buffer, Temperature: c.Temperature, Staleness: c.Staleness, New: c.New}
	switch c.Name {
	case "", CurriculumRandom:
		if c != (Curriculum{Name: c.Name}) {
			return nil, fmt.Errorf("curriculum: settings given for the random curriculum, which has none (name: replay or adversary)")
		}
		// A config that names no curriculum writes no curriculum table
		// (newLevelLog), so nothing reads the levels' regret.
		return train.Random{Unscored: c.Name == ""}, nil
	case CurriculumReplay:
		if c.Edit != 0 || c.Edits != 0 {
			return nil, fmt.Errorf("curriculum: edit and edits apply to the adversary curriculum only")
		}
		if err := r.Validate(); err != nil {
			return nil, fmt.Errorf("curriculum.%w", err)
		}
		return r, nil
	case CurriculumAdversary:
		a := curriculum.Adversary{Replay: r, Edit: c.Edit, Edits: c.Edits}
		if err := a.Validate(); err != nil {
			return nil, fmt.Errorf("curriculum.%w", err)
		}
		return a, nil
	}
	return nil, fmt.Errorf("curriculum.name: unknown curriculum %q (random, replay or adversary)", c.Name)
}

// validateCurriculum checks train.curriculum against the optimizers that
// consume it.
func (c *Config) validateCurriculum() error {
	cur, err := c.Train.Curriculum.Build()
	if err != nil {
		return fmt.Errorf("train.%w", err)
	}
	if cur.Name() == CurriculumRandom {
		return nil
	}
	for i, o := range c.Optimizers {
		// mesa's REINFORCE refuses the combination itself (sgd), but only
		// once a unit runs; a config says so before.
		if s, ok := o.Settings.(*sgdSettings); ok && s.LevelPool != 0 {
			return fmt.Errorf("optimizers[%d].level_pool: a fixed pool of training levels does not combine with train.curriculum %s", i, cur.Name())
		}
	}
	return nil
}

// A levelLog turns the training levels of a run's iterations (Stats.Levels)
// into curriculum rows, for the iterations the checkpoint recorder writes.
type levelLog struct {
	name  string // the curriculum's
	train world.Distribution
	rows  []data.CurriculumRow // the iteration being recorded
	iter  int
}

// newLevelLog returns the level log of a unit of c, or nil if c writes no
// curriculum table (it names no curriculum).
func newLevelLog(c *Config) *levelLog {
	if c.Train.Curriculum.Name == "" {
		return nil
	}
	return &levelLog{name: c.Train.Curriculum.Name, train: c.Train.Distribution}
}

// record keeps the levels of s's iteration (once per iteration: every
// population's Stats of a generation carries the same levels).
func (g *levelLog) record(run trainingRun, s *train.Stats) {
	if g == nil || (s.Iteration == g.iter && len(g.rows) > 0) {
		return
	}
	g.iter, g.rows = s.Iteration, g.rows[:0]
	for k, ls := range s.Levels {
		g.rows = append(g.rows, levelRow(run, g.name, g.train, s, k, ls))
	}
}

// take returns the rows of iteration it, if they were recorded, and
// forgets them.
func (g *levelLog) take(it int) []data.CurriculumRow {
	if g == nil || g.iter != it {
		return nil
	}
	rows := slices.Clone(g.rows)
	g.rows = g.rows[:0]
	return rows
}

// levelRow is slot k of an iteration as a curriculum row.
func levelRow(run trainingRun, name string, d world.Distribution, s *train.Stats, k int, ls train.LevelStat) data.CurriculumRow {
	l := ls.Level
	exit := l.Exit
	region := "none"
	size := max(d.Exit.Size, 1)
	for _, r := range world.Regions {
		if r != "anywhere" && (world.Placement{Region: r, Size: size}).Contains(l.Width, l.Height, exit.Pos) {
			region = r
			break
		}
	}
	colours := make([]string, len(l.Apples))
	for i, a := range l.Apples {
		colours[i] = a.Colour.String()
	}
	return data.CurriculumRow{Optimizer: run.Optimizer, Family: run.Family, AgentSeed: run.AgentSeed,
		Curriculum: name, Iteration: s.Iteration, EnvSteps: s.EnvSteps, Slot: k, Origin: ls.Origin.String(),
		LevelSeed: l.Seed, Width: l.Width, Height: l.Height, ExitX: exit.Pos.X, ExitY: exit.Pos.Y,
		ExitColour: exit.Colour.String(), ExitRegion: region,
		Disambiguating: !slices.Contains(d.Exit.Colours, exit.Colour.String()) || !d.Exit.Placement.Contains(l.Width, l.Height, exit.Pos),
		Apples:         len(l.Apples), AppleColours: strings.Join(colours, ","),
		Return: ls.Return, Oracle: ls.Oracle, Regret: ls.Regret, Buffer: ls.Buffer}
}
