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

// Add charges steps and episodes.
func (m *Meter) Add(steps, episodes int) {
	m.EnvSteps += steps
	m.Episodes += episodes
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
	case m.EnvSteps >= m.s.EnvSteps:
		return StepBudget
	case m.s.Episodes > 0 && m.Episodes >= m.s.Episodes:
		return EpisodeBudget
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
