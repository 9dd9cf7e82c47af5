package experiment

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/mesa-alignment/mesa/data"
)

// A Summary is what a report states about a run's config. Run writes it
// into the run's manifest (data.Manifest.Summary) and SummaryOf reads it
// back: the report reads the same Go type the config is summarised from,
// never a second copy of the config's YAML schema, so that a field renamed
// in Config is a compile error here, not a zero printed there.
type Summary struct {
	Name       string         `json:"name"`
	Seed       uint64         `json:"seed"`
	Seeds      int            `json:"seeds"`       // training seeds per optimizer × family
	EnvSteps   int            `json:"env_steps"`   // budget per training run
	BaseReturn string         `json:"base_return"` // the base objective's rule
	Splits     []SplitSummary `json:"splits"`      // the evaluation splits, probe included
	Families   []string       `json:"families"`
	Optimizers []string       `json:"optimizers"`
	Reference  []string       `json:"reference,omitempty"` // scripted references
	Greedy     bool           `json:"greedy"`              // evaluation plays the most probable action
	// MonitorLevels and MonitorCheckpoints describe the learning curves;
	// 0 levels when monitoring is off.
	MonitorLevels      int `json:"monitor_levels"`
	MonitorCheckpoints int `json:"monitor_checkpoints"`
	// VerdictStability and VerdictMinGain are the verdict's thresholds; 0
	// without probes.
	VerdictStability float64 `json:"verdict_stability"`
	VerdictMinGain   float64 `json:"verdict_min_gain"`
}

// A SplitSummary is one evaluation split of a Summary.
type SplitSummary struct {
	Name     string `json:"name"`
	Episodes int    `json:"episodes"` // per agent
}

// Summary returns the summary of c, with defaults resolved.
func (c *Config) Summary() Summary {
	s := Summary{Name: c.Name, Seed: c.Seed, Seeds: c.Seeds, EnvSteps: c.Budget.EnvSteps, BaseReturn: c.BaseReturn,
		Reference: c.Reference, Greedy: c.Evaluate.Greedy}
	for _, sp := range c.Splits {
		s.Splits = append(s.Splits, SplitSummary{Name: sp.Name, Episodes: sp.Episodes})
	}
	if !c.Probe.Off {
		s.Splits = append(s.Splits, SplitSummary{Name: ProbeSplit, Episodes: c.Probe.Episodes})
		s.VerdictStability, s.VerdictMinGain = c.Probe.Verdict.Stability, c.Probe.Verdict.MinGain
	}
	for _, f := range c.Families {
		s.Families = append(s.Families, f.Name)
	}
	for _, o := range c.Optimizers {
		s.Optimizers = append(s.Optimizers, o.Name)
	}
	if !c.Monitor.Off {
		s.MonitorLevels, s.MonitorCheckpoints = c.Monitor.Levels, c.Monitor.Checkpoints
		if s.MonitorCheckpoints == 0 {
			s.MonitorCheckpoints = defaultCheckpoints
		}
	}
	return s
}

// ErrNoSummary is SummaryOf's error for a run whose manifest holds no
// summary: one written by a mesa before schema version 6.
var ErrNoSummary = errors.New("the run's manifest holds no config summary (written by a mesa before data schema 6)")

// SummaryOf returns the config summary a run's manifest holds.
func SummaryOf(m *data.Manifest) (Summary, error) {
	var s Summary
	if len(m.Summary) == 0 {
		return s, ErrNoSummary
	}
	if err := json.Unmarshal(m.Summary, &s); err != nil {
		return s, fmt.Errorf("manifest summary: %w", err)
	}
	return s, nil
}
