package curriculum

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/mesa-alignment/mesa/names"
	"github.com/mesa-alignment/mesa/train"
	"github.com/mesa-alignment/mesa/world"
)

// Defaults of a zero Adversary.
const (
	DefaultEdit  = 0.5
	DefaultEdits = 3
	// MaxEditApples bounds the apples an edit may add up to.
	MaxEditApples = 8
)

// Adversary is an ACCEL-style adversary (Parker-Holder et al., "Evolving
// Curricula with Regret-Based Environment Design", ICML 2022): Prioritized
// Level Replay whose new levels are, with probability Edit, children of
// kept levels, each made by Edits random edits, instead of fresh draws
// from the training distribution. The parent is drawn from the replay
// distribution P (see Replay), so the levels of highest regret and the
// stalest are edited most; a child that raises regret enters the buffer
// and is itself replayed and edited, which is ACCEL's edit-and-replay
// loop. Its zero value works.
//
// An edit is one of, uniformly among those that apply:
//   - move the exit to another empty floor cell;
//   - recolour the exit (another palette colour);
//   - add an apple of a random colour on an empty floor cell (up to
//     MaxEditApples apples);
//   - remove an apple;
//   - recolour an apple;
//   - toggle a wall: open an interior wall cell next to the floor, or
//     close an empty floor cell whose closing leaves every floor cell
//     reachable from the start.
//
// Every edited level is a valid, connected level with the parent's size,
// start, step limit and cue, and a seed of its own (which seeds what the
// agents draw per level, such as observation noise). The child of slot k
// of iteration it draws its edits from seeds.New(seed,
// "curriculum/"+purpose, it, k, 1).
type Adversary struct {
	Replay
	// Edit is the probability that a new slot is an edited child of a
	// kept level rather than a fresh draw, in (0, 1]; 0 means
	// DefaultEdit.
	Edit float64
	// Edits is the number of edits that make a child, in [1, 100]; 0
	// means DefaultEdits.
	Edits int
}

var _ train.Curriculum = Adversary{}

// Name returns "adversary".
func (Adversary) Name() string { return names.CurriculumAdversary }

// Validate reports the first bad setting, naming the field.
func (a Adversary) Validate() error {
	_, _, err := a.config()
	return err
}

func (a Adversary) config() (replayConfig, *editor, error) {
	c, err := a.Replay.config()
	if err != nil {
		return c, nil, err
	}
	ed := &editor{share: a.Edit, edits: a.Edits}
	if ed.share == 0 {
		ed.share = DefaultEdit
	}
	if ed.edits == 0 {
		ed.edits = DefaultEdits
	}
	switch {
	case !(ed.share > 0 && ed.share <= 1):
		return c, nil, fmt.Errorf("edit: %v out of range (0, 1] (0 means %v)", a.Edit, DefaultEdit)
	case ed.edits < 1 || ed.edits > 100:
		return c, nil, fmt.Errorf("edits: %d out of range [1, 100] (0 means %d)", a.Edits, DefaultEdits)
	}
	return c, ed, nil
}

// Source returns the adversary's source of one training run.
func (a Adversary) Source(gen *world.Generator, rule world.BaseReturn, seed uint64, purpose string) (train.LevelSource, error) {
	c, ed, err := a.config()
	if err != nil {
		return nil, err
	}
	if gen == nil {
		return nil, fmt.Errorf("no level generator")
	}
	s := newSource(c, gen, rule, seed, purpose)
	s.edit = ed
	return s, nil
}

// An editor makes edited children of levels.
type editor struct {
	share float64 // the probability that a new slot is an edit
	edits int
}

// An edit kind.
const (
	editMoveExit = iota
	editRecolourExit
	editAddApple
	editRemoveApple
	editRecolourApple
	editToggleWall
	numEdits
)

// child returns parent with e.edits random edits drawn from rng.
func (e *editor) child(parent *world.Level, rng *rand.Rand) *world.Level {
	l := world.Level{
		Width: parent.Width, Height: parent.Height, Walls: slices.Clone(parent.Walls),
		Start: parent.Start, Exit: parent.Exit, Apples: slices.Clone(parent.Apples),
		StepLimit: parent.StepLimit, Cue: parent.Cue, Randomized: parent.Randomized,
		Seed: rng.Uint64(),
	}
	for range e.edits {
		// Moving and recolouring the exit always apply: a maze has more
		// than two floor cells.
		for !applyEdit(&l, rng.IntN(numEdits), rng) {
		}
	}
	slices.SortFunc(l.Apples, func(a, b world.Object) int { return l.Index(a.Pos) - l.Index(b.Pos) })
	out, err := world.NewLevel(l)
	if err != nil {
		// Every edit keeps objects on distinct floor cells.
		panic("curriculum: an edit made an invalid level: " + err.Error())
	}
	return out
}

// occupied reports whether cell i holds the start, the exit or an apple.
func occupied(l *world.Level, i int) bool {
	p := l.Point(i)
	if p == l.Start || p == l.Exit.Pos {
		return true
	}
	return slices.ContainsFunc(l.Apples, func(a world.Object) bool { return a.Pos == p })
}

// emptyFloor returns a random empty floor cell of l, or -1 if none.
func emptyFloor(l *world.Level, rng *rand.Rand) int {
	var cells []int
	for i, w := range l.Walls {
		if !w && !occupied(l, i) {
			cells = append(cells, i)
		}
	}
	if len(cells) == 0 {
		return -1
	}
	return cells[rng.IntN(len(cells))]
}

// otherColour returns a random palette colour other than c.
func otherColour(c world.Colour, rng *rand.Rand) world.Colour {
	return world.Colour((int(c) + 1 + rng.IntN(world.NumColours-1)) % world.NumColours)
}

// applyEdit applies an edit of the given kind to l and reports whether it
// applied.
func applyEdit(l *world.Level, kind int, rng *rand.Rand) bool {
	switch kind {
	case editMoveExit:
		if i := emptyFloor(l, rng); i >= 0 {
			l.Exit.Pos = l.Point(i)
			return true
		}
	case editRecolourExit:
		l.Exit.Colour = otherColour(l.Exit.Colour, rng)
		return true
	case editAddApple:
		if len(l.Apples) >= MaxEditApples {
			return false
		}
		if i := emptyFloor(l, rng); i >= 0 {
			l.Apples = append(l.Apples, world.Object{Kind: world.Apple, Colour: world.Colour(rng.IntN(world.NumColours)), Pos: l.Point(i)})
			return true
		}
	case editRemoveApple:
		if len(l.Apples) > 0 {
			j := rng.IntN(len(l.Apples))
			l.Apples = slices.Delete(l.Apples, j, j+1)
			return true
		}
	case editRecolourApple:
		if len(l.Apples) > 0 {
			a := &l.Apples[rng.IntN(len(l.Apples))]
			a.Colour = otherColour(a.Colour, rng)
			return true
		}
	case editToggleWall:
		return toggleWall(l, rng)
	}
	return false
}

// toggleWall opens a wall cell next to the floor or closes an empty floor
// cell whose closing keeps the floor connected, drawn among the interior
// cells where that applies.
func toggleWall(l *world.Level, rng *rand.Rand) bool {
	var cells []int
	for y := 1; y < l.Height-1; y++ {
		for x := 1; x < l.Width-1; x++ {
			i := y*l.Width + x
			if l.Walls[i] && floorNeighbour(l, i) || !l.Walls[i] && !occupied(l, i) {
				cells = append(cells, i)
			}
		}
	}
	for len(cells) > 0 {
		j := rng.IntN(len(cells))
		i := cells[j]
		if l.Walls[i] {
			// A wall next to the floor opens into a connected cell.
			l.Walls[i] = false
			return true
		}
		l.Walls[i] = true
		if l.Connected() {
			return true
		}
		l.Walls[i] = false
		cells = slices.Delete(cells, j, j+1)
	}
	return false
}

func floorNeighbour(l *world.Level, i int) bool {
	for _, o := range l.Offsets() {
		if n := i + o; n >= 0 && n < len(l.Walls) && !l.Walls[n] {
			return true
		}
	}
	return false
}
