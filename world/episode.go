package world

// An Episode is one run of an agent through a level: the mutable state the
// engine steps. It belongs to one goroutine. Reset reuses its buffers, so a
// long-lived Episode steps through many levels without allocating.
type Episode struct {
	level *Level
	// Copies of the level's slices and limit, so a step reads them
	// without going through level.
	walls []bool
	objAt []uint8
	limit int
	off   [NumActions]int
	pos   int
	at    Point // the agent's cell, kept beside pos to avoid a division per step
	// visits[i] counts the times the agent has been in cell i, the start
	// included.
	visits []uint32
	eaten  uint64 // bit j: apple j eaten
	rule   BaseReturn

	steps       int
	applesEaten int
	done        bool
	reachedExit bool
	ret         float64
}

// A Step records what one call of Episode.Step did.
type Step struct {
	Pos Point // the agent's cell after the move
	// Object is what the agent entered on this step: -1 nothing (or an
	// apple already eaten), 0 the exit, 1+j apple j.
	Object int32
	// Visits counts the agent's visits to Pos, this one included.
	Visits int32
	// Reward is the base reward of the step: on entering the exit, the
	// episode's base return under its BaseReturn rule (1 − 0.9·t/T by
	// default, see Sooner), otherwise 0.
	Reward float64
	// Moved is false when a wall blocked the move.
	Moved bool
	// Done reports that the episode has ended, at the exit or at the step
	// limit.
	Done bool
}

// NewEpisode returns an episode at the start of l, scored by the default
// base return, Sooner.
func NewEpisode(l *Level) *Episode {
	e := &Episode{}
	e.Reset(l)
	return e
}

// Reset starts a new episode on l, reusing e's buffers and keeping its
// BaseReturn rule. e keeps a reference to l, which must not be modified.
func (e *Episode) Reset(l *Level) {
	n := l.Width * l.Height
	if cap(e.visits) < n {
		e.visits = make([]uint32, n)
	} else {
		e.visits = e.visits[:n]
		clear(e.visits)
	}
	*e = Episode{level: l, walls: l.Walls, objAt: l.objAt, limit: l.StepLimit,
		off: l.Offsets(), pos: l.Index(l.Start), at: l.Start, visits: e.visits, rule: e.rule}
	e.visits[e.pos] = 1
}

// Step applies action a. Moving into a wall leaves the agent where it is but
// still costs a step. Entering an apple eats it; entering the exit on step t
// ends the episode with reward e.BaseReturn().Return(true, t, limit);
// reaching the step limit ends it with reward 0.
// Stepping a finished episode does nothing and returns Done.
func (e *Episode) Step(a Action) Step {
	if e.done {
		return Step{Pos: e.at, Object: -1, Done: true}
	}
	// Fields are kept in locals and the Step built once at the end: filling
	// a returned struct field by field stalls store forwarding and costs
	// more than the rest of the step.
	moved := false
	if n := e.pos + e.off[a&3]; !e.walls[n] {
		e.pos = n
		e.at = e.at.Add(deltas[a&3])
		moved = true
	}
	e.visits[e.pos]++
	visits := int32(e.visits[e.pos])
	e.steps++
	object, reward := int32(-1), 0.0
	switch o := e.objAt[e.pos]; {
	case o == 1:
		object, reward = 0, e.rule.Return(true, e.steps, e.limit)
		e.done, e.reachedExit, e.ret = true, true, reward
	case o >= 2 && e.eaten&(1<<(o-2)) == 0:
		e.eaten |= 1 << (o - 2)
		e.applesEaten++
		object = int32(o) - 1
	}
	if e.steps >= e.limit {
		e.done = true
	}
	return Step{Pos: e.at, Object: object, Visits: visits, Reward: reward, Moved: moved, Done: e.done}
}

// Level returns the level being played.
func (e *Episode) Level() *Level { return e.level }

// Pos returns the agent's cell.
func (e *Episode) Pos() Point { return e.at }

// Cell returns the index of the agent's cell.
func (e *Episode) Cell() int { return e.pos }

// Visits returns the visit count of cell i.
func (e *Episode) Visits(i int) int { return int(e.visits[i]) }

// Eaten reports whether apple j has been eaten.
func (e *Episode) Eaten(j int) bool { return e.eaten&(1<<j) != 0 }

// Present reports whether cell i holds an object not yet consumed, and which.
func (e *Episode) Present(i int) (Object, bool) {
	switch o := e.level.objAt[i]; {
	case o == 1:
		return e.level.Exit, true
	case o >= 2 && e.eaten&(1<<(o-2)) == 0:
		return e.level.Apples[o-2], true
	}
	return Object{}, false
}

// EatenMask returns the eaten apples as a bit set (bit j for apple j). It
// changes exactly when the map an agent sees changes.
func (e *Episode) EatenMask() uint64 { return e.eaten }

// Steps returns the number of steps taken.
func (e *Episode) Steps() int { return e.steps }

// ApplesEaten returns the number of apples eaten.
func (e *Episode) ApplesEaten() int { return e.applesEaten }

// Done reports whether the episode has ended.
func (e *Episode) Done() bool { return e.done }

// ReachedExit reports whether the agent entered the exit.
func (e *Episode) ReachedExit() bool { return e.reachedExit }

// Return returns the base return so far: the reward of entering the exit
// (see BaseReturn) if the exit was reached, else 0.
func (e *Episode) Return() float64 { return e.ret }

// SetBaseReturn sets the rule that scores reaching the exit. It applies from
// the next step on and is kept by Reset; an Episode's zero value and
// NewEpisode use Sooner.
func (e *Episode) SetBaseReturn(b BaseReturn) { e.rule = b }

// BaseReturn returns the rule that scores reaching the exit.
func (e *Episode) BaseReturn() BaseReturn { return e.rule }

var deltas = [NumActions]Point{{0, -1}, {1, 0}, {0, 1}, {-1, 0}}
