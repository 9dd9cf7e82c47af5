package experiment

import (
	"fmt"
	"slices"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/data"
	"github.com/mesa-alignment/mesa/seeds"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// A monitor plays an agent on a fixed set of held-out training levels: the
// learning curves' measurement, the same for every optimizer. Its episodes
// are not charged to any budget and no optimizer sees them.
type monitor struct {
	fam    agents.Family
	levels []*world.Level
	runner agents.Runner
	// Level k is played with the same random stream at every checkpoint
	// (common random numbers: a change between checkpoints is the
	// agent's).
	root uint64
	id   string
}

// newMonitor returns the monitor of the unit's training run, or nil if the
// config turns monitoring off. The levels derive from (root seed,
// "monitor") only, so every unit and optimizer plays the same ones; they
// are drawn from the training distribution by other seeds than training's.
func (r *unitRun) newMonitor(fam agents.Family) (*monitor, error) {
	if r.c.Monitor.Off {
		return nil, nil
	}
	g, err := world.NewGenerator(r.c.Train.Distribution)
	if err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	m := &monitor{fam: fam, root: r.c.Seed, id: r.u.ID(),
		runner: agents.Runner{BaseReturn: r.rule, Greedy: r.c.Evaluate.Greedy}}
	for k := range r.c.Monitor.Levels {
		m.levels = append(m.levels, g.Level(seeds.Derive(r.c.Seed, "monitor", uint64(k))))
	}
	return m, nil
}

// measure returns the share of the monitor's levels on which the agent with
// parameters params reaches the exit, and its mean base return. It does
// not retain params.
func (m *monitor) measure(params []float64) (success, ret float64) {
	p := m.fam.Policy(params)
	for k, l := range m.levels {
		s := m.runner.Run(p, l, seeds.New(m.root, "monitor-rollout/"+m.id, uint64(k)))
		if s.ReachedExit {
			success++
		}
		ret += s.Return
	}
	n := float64(len(m.levels))
	return success / n, ret / n
}

// A checkpointRecorder writes a training run's rows: every iteration's
// with record.iterations, otherwise those of the first iteration, of the
// first iteration at or past each checkpoint (every budget/checkpoints env
// steps), and of the last complete iteration. At those iterations the
// monitor, if any, measures the agent the method would hand over then: the
// best member of the generation over all populations (GA), the centre
// (ES), θ (SGD), as train.Stats.Params says.
type checkpointRecorder struct {
	w     *data.Writer
	run   trainingRun
	mon   *monitor
	all   bool
	every int // env steps between checkpoints
	next  int // the env steps of the next checkpoint
	// levels, if not nil, keeps the iteration's training levels for the
	// curriculum table, written with the iteration's training rows.
	levels *levelLog

	// The iteration being recorded: its rows (one per population) and its
	// best member's θ, kept until the next iteration shows it complete.
	iter     int
	rows     []data.TrainingRow
	best     []float64
	bestFit  float64
	hasBest  bool
	recorded int // the last iteration written
}

var _ train.Recorder = (*checkpointRecorder)(nil)

// Record buffers s's row; the first row of a new iteration writes the
// previous one if it is due. It copies s.Params when it needs them.
func (c *checkpointRecorder) Record(s *train.Stats) error {
	if err := c.run.check(s); err != nil {
		return err
	}
	if s.Iteration != c.iter && len(c.rows) > 0 {
		if err := c.flush(false); err != nil {
			return err
		}
	}
	c.iter = s.Iteration
	c.rows = append(c.rows, c.run.row(s))
	c.levels.record(c.run, s)
	// Max is the population's best member, whose θ Params is.
	if s.Params != nil && (!c.hasBest || s.Max > c.bestFit) {
		c.best, c.bestFit, c.hasBest = append(c.best[:0], s.Params...), s.Max, true
	}
	return nil
}

// flush writes the buffered iteration if it is due, or if it is the last.
func (c *checkpointRecorder) flush(last bool) error {
	rows := c.rows
	c.rows = c.rows[:0]
	c.hasBest = false
	steps := rows[len(rows)-1].EnvSteps
	checkpoint := c.recorded == 0 || steps >= c.next || last
	if !checkpoint && !c.all {
		return nil
	}
	if checkpoint {
		for c.next <= steps {
			c.next += c.every
		}
		if c.mon != nil && c.best != nil {
			r := &rows[len(rows)-1]
			r.Monitored = true
			r.MonitorSuccess, r.MonitorReturn = c.mon.measure(c.best)
		}
	}
	c.recorded = rows[0].Iteration
	if lv := c.levels.take(c.recorded); len(lv) > 0 {
		if err := c.w.AppendCurriculum(lv...); err != nil {
			return err
		}
	}
	return c.w.AppendTraining(slices.Clone(rows)...)
}

// finish writes the last complete iteration, if it was not written.
func (c *checkpointRecorder) finish() error {
	if len(c.rows) == 0 {
		return nil
	}
	return c.flush(true)
}
