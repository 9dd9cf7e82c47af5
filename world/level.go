package world

import (
	"errors"
	"fmt"
)

// MaxApples bounds the number of apples in a level, so that an episode can
// track eaten apples in a fixed-size bit set.
const MaxApples = 64

// A Level is one maze with its start, exit and apples. A Level is immutable
// once made by Distribution.Level, Parse or NewLevel, and may be shared by
// any number of goroutines and episodes.
type Level struct {
	Width, Height int
	// Walls[y*Width+x] reports whether cell (x, y) is wall. The border is
	// always wall.
	Walls  []bool
	Start  Point
	Exit   Object
	Apples []Object
	// StepLimit ends an episode with base reward 0 when reached.
	StepLimit int
	// Cue is the training cue: observations expose it, so that a
	// situationally aware agent can tell the distribution it is in.
	Cue bool
	// Randomized reports that the exit's colour and position were drawn
	// independently of the distribution's rules (see Distribution.Randomize).
	Randomized bool
	// Seed is the level seed the level was generated from (0 for hand-made
	// levels); it is informational and does not affect behaviour.
	Seed uint64

	// objAt[i] is 0 for no object, 1 for the exit, 2+j for apple j.
	objAt []uint8
}

// NewLevel checks l and builds its lookup tables. It takes ownership of
// l.Walls and l.Apples. Levels from Distribution.Level and Parse are already
// finished.
func NewLevel(l Level) (*Level, error) {
	if err := l.finish(); err != nil {
		return nil, err
	}
	return &l, nil
}

func (l *Level) finish() error {
	if l.Width < 3 || l.Height < 3 {
		return fmt.Errorf("level: size %dx%d is smaller than 3x3", l.Width, l.Height)
	}
	if len(l.Walls) != l.Width*l.Height {
		return fmt.Errorf("level: %d wall cells for a %dx%d maze", len(l.Walls), l.Width, l.Height)
	}
	for x := 0; x < l.Width; x++ {
		if !l.Walls[x] || !l.Walls[(l.Height-1)*l.Width+x] {
			return errors.New("level: the border must be wall")
		}
	}
	for y := 0; y < l.Height; y++ {
		if !l.Walls[y*l.Width] || !l.Walls[y*l.Width+l.Width-1] {
			return errors.New("level: the border must be wall")
		}
	}
	if len(l.Apples) > MaxApples {
		return fmt.Errorf("level: %d apples, at most %d", len(l.Apples), MaxApples)
	}
	if l.StepLimit <= 0 {
		return fmt.Errorf("level: step limit %d must be positive", l.StepLimit)
	}
	l.objAt = make([]uint8, l.Width*l.Height)
	check := func(what string, p Point) (int, error) {
		if p.X < 0 || p.Y < 0 || p.X >= l.Width || p.Y >= l.Height {
			return 0, fmt.Errorf("level: %s at %v is outside the maze", what, p)
		}
		i := l.Index(p)
		if l.Walls[i] {
			return 0, fmt.Errorf("level: %s at %v is in a wall", what, p)
		}
		return i, nil
	}
	if _, err := check("start", l.Start); err != nil {
		return err
	}
	if l.Exit.Kind != Exit || int(l.Exit.Colour) >= NumColours {
		return fmt.Errorf("level: bad exit %+v", l.Exit)
	}
	i, err := check("exit", l.Exit.Pos)
	if err != nil {
		return err
	}
	if l.Exit.Pos == l.Start {
		return fmt.Errorf("level: exit at %v is on the start", l.Exit.Pos)
	}
	l.objAt[i] = 1
	for j, a := range l.Apples {
		if a.Kind != Apple || int(a.Colour) >= NumColours {
			return fmt.Errorf("level: bad apple %d %+v", j, a)
		}
		i, err := check("apple", a.Pos)
		if err != nil {
			return err
		}
		if l.objAt[i] != 0 || a.Pos == l.Start {
			return fmt.Errorf("level: apple at %v shares its cell", a.Pos)
		}
		l.objAt[i] = uint8(2 + j)
	}
	return nil
}

// Index returns the index of p in Walls and in per-cell buffers.
func (l *Level) Index(p Point) int { return p.Y*l.Width + p.X }

// Point returns the cell at index i.
func (l *Level) Point(i int) Point { return Point{i % l.Width, i / l.Width} }

// Wall reports whether p is wall; points outside the maze are wall.
func (l *Level) Wall(p Point) bool {
	if p.X < 0 || p.Y < 0 || p.X >= l.Width || p.Y >= l.Height {
		return true
	}
	return l.Walls[l.Index(p)]
}

// ObjectAt returns the object in cell i (exit or apple, ignoring whether an
// episode has eaten it) and whether there is one.
func (l *Level) ObjectAt(i int) (Object, bool) {
	switch o := l.objAt[i]; o {
	case 0:
		return Object{}, false
	case 1:
		return l.Exit, true
	default:
		return l.Apples[o-2], true
	}
}

// AppleAt returns the index in Apples of the apple in cell i, or -1.
func (l *Level) AppleAt(i int) int { return int(l.objAt[i]) - 2 }

// Offsets returns the index offsets of the four moves, in Action order.
func (l *Level) Offsets() [NumActions]int {
	return [NumActions]int{-l.Width, 1, l.Width, -1}
}

// FloorCells returns the number of floor cells.
func (l *Level) FloorCells() int {
	n := 0
	for _, w := range l.Walls {
		if !w {
			n++
		}
	}
	return n
}

// Distances writes into dst the shortest-path distance in moves from cell
// from to every cell, or -1 where unreachable (walls included). dst must have
// length Width*Height; queue is scratch space of the same length (nil
// allocates). It returns dst.
func (l *Level) Distances(dst []int32, queue []int32, from int) []int32 {
	if queue == nil {
		queue = make([]int32, len(l.Walls))
	}
	for i := range dst {
		dst[i] = -1
	}
	off := l.Offsets()
	dst[from] = 0
	queue = queue[:0]
	queue = append(queue, int32(from))
	for h := 0; h < len(queue); h++ {
		c := int(queue[h])
		for _, o := range off {
			n := c + o
			if !l.Walls[n] && dst[n] < 0 {
				dst[n] = dst[c] + 1
				queue = append(queue, int32(n))
			}
		}
	}
	return dst
}

// Connected reports whether every floor cell is reachable from the start.
func (l *Level) Connected() bool {
	d := l.Distances(make([]int32, len(l.Walls)), nil, l.Index(l.Start))
	for i, w := range l.Walls {
		if !w && d[i] < 0 {
			return false
		}
	}
	return true
}
