package world

import "fmt"

// A Point is a cell coordinate: X grows to the right, Y grows downwards.
type Point struct{ X, Y int }

func (p Point) String() string { return fmt.Sprintf("(%d,%d)", p.X, p.Y) }

// Add returns p+q.
func (p Point) Add(q Point) Point { return Point{p.X + q.X, p.Y + q.Y} }

// Manhattan returns the L1 distance between p and q.
func (p Point) Manhattan(q Point) int { return abs(p.X-q.X) + abs(p.Y-q.Y) }

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// An Action is one of the four moves.
type Action uint8

// The moves, in the order of policy outputs.
const (
	Up Action = iota
	Right
	Down
	Left
)

// NumActions is the number of actions.
const NumActions = 4

var actionNames = [NumActions]string{"up", "right", "down", "left"}

func (a Action) String() string {
	if int(a) < NumActions {
		return actionNames[a]
	}
	return fmt.Sprintf("Action(%d)", a)
}

// Delta returns the displacement of a move.
func (a Action) Delta() Point {
	if int(a) < NumActions {
		return deltas[a]
	}
	return Point{}
}
