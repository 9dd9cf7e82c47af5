package train

import (
	"fmt"

	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/world"
)

// A LevelSource hands each iteration of one training run its training
// levels, and learns how the current agent did on them: the curriculum.
// A method calls Levels once per iteration (generation or update), plays
// every level with the agent it is training, and passes the agent's mean
// base return on each level to Update before it asks for the next
// iteration's levels. An iteration cut short by the budget is not
// updated. A source plays no episode of its own: every level it chooses
// is scored by the episodes the method trains on, all of them charged to
// the method's Meter, so the budget of a run counts everything the
// curriculum cost.
//
// A source is used by one goroutine, the method's driver, and draws its
// randomness from streams derived from the run's seed and the iteration,
// never from the order of workers: its choices are the same for any
// number of workers.
type LevelSource interface {
	// Levels returns the n training levels of iteration it. The slice is
	// the source's, valid until the next call: the caller must not modify
	// it. The levels are immutable and may be retained.
	Levels(it, n int) []*world.Level
	// Update receives the current agent's mean base return on each level
	// of the last Levels call, returns[k] on level k, and returns the
	// levels as the source scored them. The source does not retain
	// returns; the result is the source's, valid until the next call.
	Update(it int, returns []float64) []LevelStat
}

// An Origin says where a level of a LevelSource came from.
type Origin int

const (
	// New is a level drawn from the training distribution.
	New Origin = iota
	// Replayed is a level the source kept from an earlier iteration.
	Replayed
	// Edited is a kept level changed by an adversary's edits.
	Edited
)

var originNames = names.Origins()

// String returns "new", "replay" or "edit".
func (o Origin) String() string {
	if o >= 0 && int(o) < len(originNames) {
		return originNames[o]
	}
	return fmt.Sprintf("Origin(%d)", int(o))
}

// A LevelStat is one training level of an iteration as its source scored
// it. Regret is Oracle − Return: exact up to the agent's sampled actions,
// since the oracle's return on a level is known (the shortest path from
// the start to the exit, scored by the base return rule; see
// OracleReturn).
type LevelStat struct {
	Level  *world.Level
	Origin Origin
	// Return is the current agent's mean base return on the level (for
	// a level played in several slots of the iteration, their mean);
	// Oracle the oracle's, Regret their difference.
	Return, Oracle, Regret float64
	// Buffer is the number of levels the source kept after the update
	// (0 for a source that keeps none).
	Buffer int
}

// A Curriculum makes the level source of each training run. Its zero
// value, where a method accepts one, is Random.
type Curriculum interface {
	// Name is the curriculum's name in configs: "random", "replay",
	// "adversary".
	Name() string
	// Source returns the level source of one training run: levels drawn
	// from gen, scored by rule, randomness derived from (seed, purpose).
	// purpose names the method's level stream ("ga/levels"); a source may
	// derive further streams from it.
	Source(gen *world.Generator, rule world.BaseReturn, seed uint64, purpose string) (LevelSource, error)
}

// Random is domain randomisation, the default curriculum: every iteration
// draws fresh levels from the training distribution, iteration it's level
// k being gen.Level(seeds.Derive(seed, purpose, it, k)) exactly as Levels
// makes them. It keeps no level; Update only scores the levels, so a run
// with Random trains exactly as one without a curriculum.
type Random struct {
	// Unscored, if true, leaves each LevelStat's Oracle and Regret at 0:
	// the oracle's return costs a shortest path per level, which a run
	// that records no level statistics need not pay (about 2% of the
	// default run's time). The zero value scores.
	Unscored bool
}

var _ Curriculum = Random{}

// Name returns "random".
func (Random) Name() string { return names.CurriculumRandom }

// Source returns the fresh-levels source of one training run.
func (r Random) Source(gen *world.Generator, rule world.BaseReturn, seed uint64, purpose string) (LevelSource, error) {
	if gen == nil {
		return nil, fmt.Errorf("random curriculum: no level generator")
	}
	return &randomSource{gen: gen, seed: seed, purpose: purpose, oracle: Oracle{Rule: rule}, unscored: r.Unscored}, nil
}

type randomSource struct {
	gen      *world.Generator
	seed     uint64
	purpose  string
	oracle   Oracle
	unscored bool
	levels   []*world.Level
	stats    []LevelStat
}

func (s *randomSource) Levels(it, n int) []*world.Level {
	s.levels = Levels(s.gen, s.seed, s.purpose, it, n)
	return s.levels
}

func (s *randomSource) Update(it int, returns []float64) []LevelStat {
	s.stats = s.stats[:0]
	for k, l := range s.levels {
		st := LevelStat{Level: l, Origin: New, Return: returns[k]}
		if !s.unscored {
			st.Oracle = s.oracle.Return(l)
			st.Regret = st.Oracle - st.Return
		}
		s.stats = append(s.stats, st)
	}
	return s.stats
}

// An Oracle computes the oracle's base return on levels: the return of
// reaching the exit by a shortest path from the start, under Rule (0 if
// the exit cannot be reached). It keeps scratch space between calls and
// is not safe for concurrent use; its zero value scores by world.Sooner.
type Oracle struct {
	Rule        world.BaseReturn
	dist, queue []int32
}

// Return returns the oracle's base return on l.
func (o *Oracle) Return(l *world.Level) float64 {
	n := l.Width * l.Height
	if cap(o.dist) < n {
		o.dist, o.queue = make([]int32, n), make([]int32, n)
	}
	d := l.Distances(o.dist[:n], o.queue[:n], l.Index(l.Start))[l.Index(l.Exit.Pos)]
	if d < 0 {
		return o.Rule.Return(false, 0, l.StepLimit)
	}
	return o.Rule.Return(true, int(d), l.StepLimit)
}

// Source returns the level source of p's training run with the given
// level stream purpose, from p.Curriculum (Random when nil).
func (p *Problem) Source(gen *world.Generator, purpose string) (LevelSource, error) {
	c := p.Curriculum
	if c == nil {
		c = Random{}
	}
	src, err := c.Source(gen, p.BaseReturn, p.Seed, purpose)
	if err != nil {
		return nil, fmt.Errorf("problem: curriculum %s: %w", c.Name(), err)
	}
	return src, nil
}
