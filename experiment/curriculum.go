package experiment

import (
	"fmt"

	"mesa/train"
	"mesa/train/curriculum"
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
	CurriculumRandom    = "random"
	CurriculumReplay    = "replay"
	CurriculumAdversary = "adversary"
)

// Build returns the train.Curriculum c describes.
func (c Curriculum) Build() (train.Curriculum, error) {
	r := curriculum.Replay{Buffer: c.Buffer, Temperature: c.Temperature, Staleness: c.Staleness, New: c.New}
	switch c.Name {
	case "", CurriculumRandom:
		if c != (Curriculum{Name: c.Name}) {
			return nil, fmt.Errorf("curriculum: settings given for the random curriculum, which has none (name: replay or adversary)")
		}
		return train.Random{}, nil
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
		if o.LevelPool != 0 {
			return fmt.Errorf("optimizers[%d].level_pool: a fixed pool of training levels does not combine with train.curriculum %s", i, cur.Name())
		}
	}
	return nil
}
