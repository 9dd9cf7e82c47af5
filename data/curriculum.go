package data

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// The curriculum table (TableCurriculum) is the optional table of the
// levels a curriculum chose (Options.Curriculum): one row per training
// level of each checkpoint iteration of each training run, with the regret
// that scored it and the features that say whether it disambiguates the
// base objective from the training distribution's proxies.

// A CurriculumRow is one training level of one iteration, as the
// training run's level source scored it.
type CurriculumRow struct {
	RunID     string
	Optimizer string
	Family    string
	AgentSeed uint64 // the training run's seed
	// Curriculum is the level source's name: "random", "replay",
	// "adversary".
	Curriculum string
	Iteration  int // 1-based, as in the training table
	EnvSteps   int // cumulative, this iteration included
	Slot       int // the level's position in the iteration
	// Origin is "new" (drawn from the training distribution), "replay"
	// (kept from an earlier iteration) or "edit" (an adversary's edit of
	// a kept level).
	Origin    string
	LevelSeed uint64
	Width     int
	Height    int
	ExitX     int
	ExitY     int
	// ExitColour is the exit's colour name; ExitRegion the corner region
	// (of the training exit region's size) that holds the exit, or
	// "none".
	ExitColour string
	ExitRegion string
	// Disambiguating marks a level whose exit is not where or not the
	// colour the training distribution's rule puts it: a level on which
	// the exit and a proxy (the training exit colour, the training exit
	// region) come apart.
	Disambiguating bool
	Apples         int
	// AppleColours are the apples' colour names, comma-separated, in the
	// level's apple order.
	AppleColours string
	// Return is the agent's return on the level (see train.LevelStat),
	// Oracle the oracle's, Regret = Oracle − Return.
	Return, Oracle, Regret float64
	// Buffer is the number of levels the source kept after scoring.
	Buffer int
	Point  int // the sweep point (see Writer.SetPoint)
}

const (
	cuRunID = iota
	cuOptimizer
	cuFamily
	cuAgentSeed
	cuCurriculum
	cuIteration
	cuEnvSteps
	cuSlot
	cuOrigin
	cuLevelSeed
	cuWidth
	cuHeight
	cuExitX
	cuExitY
	cuExitColour
	cuExitRegion
	cuDisambiguating
	cuApples
	cuAppleColours
	cuReturn
	cuOracle
	cuRegret
	cuBuffer
	cuPoint
	cuNumCols
)

var curriculumCols = [cuNumCols]column{
	cuRunID:          {"run_id", dict8(), false, vocabRunID},
	cuOptimizer:      {"optimizer", dict8(), false, VocabOptimizer},
	cuFamily:         {"family", dict16(), false, VocabFamily},
	cuAgentSeed:      {"agent_seed", u64, false, ""},
	cuCurriculum:     {"curriculum", str, false, ""},
	cuIteration:      {"iteration", i32, false, ""},
	cuEnvSteps:       {"env_steps", i64, false, ""},
	cuSlot:           {"slot", i32, false, ""},
	cuOrigin:         {"origin", str, false, ""},
	cuLevelSeed:      {"level_seed", u64, false, ""},
	cuWidth:          {"width", i32, false, ""},
	cuHeight:         {"height", i32, false, ""},
	cuExitX:          {"exit_x", i32, false, ""},
	cuExitY:          {"exit_y", i32, false, ""},
	cuExitColour:     {"exit_colour", str, false, ""},
	cuExitRegion:     {"exit_region", str, false, ""},
	cuDisambiguating: {"disambiguating", bln, false, ""},
	cuApples:         {"apples", i32, false, ""},
	cuAppleColours:   {"apple_colours", str, false, ""},
	cuReturn:         {"return", f64, false, ""},
	cuOracle:         {"oracle_return", f64, false, ""},
	cuRegret:         {"regret", f64, false, ""},
	cuBuffer:         {"buffer", i32, false, ""},
	cuPoint:          pointColumn,
}

// AppendCurriculum appends rows to the curriculum table; it is an error
// unless Options.Curriculum was set.
func (w *Writer) AppendCurriculum(rows ...CurriculumRow) error {
	return appendRows(w, tabCurriculum, rows, (*tableWriter).appendCurriculum)
}

func (t *tableWriter) appendCurriculum(r *CurriculumRow) error {
	c := rowCheck{t: t}
	i32 := func(col, v int) { vecAt[int32](t, col).add(c.i32(col, v)) }
	s := func(col int, v string) { vecAt[string](t, col).add(v) }
	f := func(col int, v float64) { vecAt[float64](t, col).add(v) }
	c.dict(cuRunID, t.runID)
	c.dict(cuOptimizer, r.Optimizer)
	c.dict(cuFamily, r.Family)
	vecAt[uint64](t, cuAgentSeed).add(r.AgentSeed)
	s(cuCurriculum, r.Curriculum)
	i32(cuIteration, r.Iteration)
	vecAt[int64](t, cuEnvSteps).add(int64(r.EnvSteps))
	i32(cuSlot, r.Slot)
	s(cuOrigin, r.Origin)
	vecAt[uint64](t, cuLevelSeed).add(r.LevelSeed)
	i32(cuWidth, r.Width)
	i32(cuHeight, r.Height)
	i32(cuExitX, r.ExitX)
	i32(cuExitY, r.ExitY)
	s(cuExitColour, r.ExitColour)
	s(cuExitRegion, r.ExitRegion)
	vecAt[bool](t, cuDisambiguating).add(r.Disambiguating)
	i32(cuApples, r.Apples)
	s(cuAppleColours, r.AppleColours)
	f(cuReturn, r.Return)
	f(cuOracle, r.Oracle)
	f(cuRegret, r.Regret)
	i32(cuBuffer, r.Buffer)
	t.appendPoint(&c, cuPoint, r.Point)
	return t.end(&c)
}

// Curriculum opens the run's curriculum table (see Run.Has).
func (r *Run) Curriculum(opts *ReadOptions) (*Reader[CurriculumRow], error) {
	return openIn(r, TableCurriculum, opts, bindCurriculum)
}

// OpenCurriculum opens a curriculum table file.
func OpenCurriculum(path string, opts *ReadOptions) (*Reader[CurriculumRow], error) {
	return open(path, TableCurriculum, opts, bindCurriculum)
}

func bindCurriculum(rec arrow.RecordBatch, c []int) (func(int, *CurriculumRow), error) {
	var chk batchCheck
	runID, opt, fam := chk.dict(rec, c[cuRunID]), chk.dict(rec, c[cuOptimizer]), chk.dict(rec, c[cuFamily])
	cur, origin, colour, region, apples := chk.str(rec, c[cuCurriculum]), chk.str(rec, c[cuOrigin]),
		chk.str(rec, c[cuExitColour]), chk.str(rec, c[cuExitRegion]), chk.str(rec, c[cuAppleColours])
	if chk.err != nil {
		return nil, chk.err
	}
	i := func(col int) *array.Int32 { return colAs[*array.Int32](rec, c[col]) }
	f := func(col int) *array.Float64 { return colAs[*array.Float64](rec, c[col]) }
	seed, lseed := colAs[*array.Uint64](rec, c[cuAgentSeed]), colAs[*array.Uint64](rec, c[cuLevelSeed])
	it, slot, w, h, ex, ey, na, buf := i(cuIteration), i(cuSlot), i(cuWidth), i(cuHeight), i(cuExitX), i(cuExitY), i(cuApples), i(cuBuffer)
	steps := colAs[*array.Int64](rec, c[cuEnvSteps])
	dis := colAs[*array.Boolean](rec, c[cuDisambiguating])
	ret, orc, reg := f(cuReturn), f(cuOracle), f(cuRegret)
	pt := newPointView(rec, c[cuPoint])
	return func(k int, r *CurriculumRow) {
		*r = CurriculumRow{
			RunID: runID.get(k), Optimizer: opt.get(k), Family: fam.get(k), AgentSeed: seed.Value(k),
			Curriculum: cur.get(k), Iteration: int(it.Value(k)), EnvSteps: int(steps.Value(k)), Slot: int(slot.Value(k)),
			Origin: origin.get(k), LevelSeed: lseed.Value(k), Width: int(w.Value(k)), Height: int(h.Value(k)),
			ExitX: int(ex.Value(k)), ExitY: int(ey.Value(k)), ExitColour: colour.get(k), ExitRegion: region.get(k),
			Disambiguating: dis.Value(k), Apples: int(na.Value(k)), AppleColours: apples.get(k),
			Return: ret.Value(k), Oracle: orc.Value(k), Regret: reg.Value(k), Buffer: int(buf.Value(k)), Point: pt.get(k),
		}
	}, nil
}
