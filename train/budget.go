package train

import (
	"context"
	"time"
)

// A Meter keeps a run's budget accounts the same way for every method.
type Meter struct {
	s         Settings
	start     time.Time
	EnvSteps  int
	Episodes  int
	Iteration int
}

// NewMeter starts accounting against s. The clock is read only to report
// Stats.Elapsed; nothing random or decisive depends on it.
func NewMeter(s *Settings) *Meter {
	m := &Meter{start: time.Now()}
	if s != nil {
		m.s = *s
	}
	if m.s.EnvSteps <= 0 {
		m.s.EnvSteps = DefaultEnvSteps
	}
	return m
}

// Add charges steps and episodes unconditionally. Methods charge rollouts
// with Charge instead, which keeps them within the budget.
func (m *Meter) Add(steps, episodes int) {
	m.EnvSteps += steps
	m.Episodes += episodes
}

// Charge charges one episode of the given number of steps, unless the step
// or episode budget is already spent, and reports whether it did. Methods
// charge the episodes of an iteration one at a time in a canonical order
// (for instance member i's episodes on levels 0, 1, … before member i+1's)
// and stop at the first refusal, so that training ends at the episode at
// which the budget is spent: past the step budget by less than one episode,
// and exactly at the episode budget. The order, not the workers, decides
// which episodes are charged.
func (m *Meter) Charge(steps int) bool {
	if m.Exhausted() != NotTerminated {
		return false
	}
	m.EnvSteps += steps
	m.Episodes++
	return true
}

// Exhausted returns StepBudget or EpisodeBudget if that budget is spent,
// else NotTerminated.
func (m *Meter) Exhausted() Status {
	switch {
	case m.EnvSteps >= m.s.EnvSteps:
		return StepBudget
	case m.s.Episodes > 0 && m.Episodes >= m.s.Episodes:
		return EpisodeBudget
	}
	return NotTerminated
}

// Elapsed returns the time since the meter started.
func (m *Meter) Elapsed() time.Duration { return time.Since(m.start) }

// Status returns why training must stop after an iteration whose mean
// training return was meanReturn, or NotTerminated.
func (m *Meter) Status(ctx context.Context, meanReturn float64) Status {
	switch {
	case ctx.Err() != nil:
		return Canceled
	case m.s.TargetReturn > 0 && meanReturn >= m.s.TargetReturn:
		return TargetReached
	case m.Exhausted() != NotTerminated:
		return m.Exhausted()
	case m.s.Iterations > 0 && m.Iteration >= m.s.Iterations:
		return IterationLimit
	}
	return NotTerminated
}

// Record fills the accounting fields of st and passes it to the recorder,
// if any.
func (m *Meter) Record(st *Stats) error {
	st.Iteration, st.EnvSteps, st.Episodes, st.Elapsed = m.Iteration, m.EnvSteps, m.Episodes, m.Elapsed()
	if m.s.Recorder == nil {
		return nil
	}
	return m.s.Recorder.Record(st)
}
