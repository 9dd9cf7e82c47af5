package figure

import (
	"errors"
	"testing"

	"github.com/mesa-alignment/mesa/world"
)

const testLevel = `mesa-level v1 steps=121 cue=false seed=0 randomized=false
###########
#S........#
#.#######.#
#...#.#..r#
#.#.#.#.###
#.#b#.....#
#.#.#######
#.#.......#
#.#########
#...y....G#
###########
`

// line returns the cells from a to b, a straight horizontal or vertical run,
// without a.
func line(a, b world.Point) []world.Point {
	var out []world.Point
	d := world.Point{X: sign(b.X - a.X), Y: sign(b.Y - a.Y)}
	for p := a; p != b; {
		p = p.Add(d)
		out = append(out, p)
	}
	return out
}

func pt(x, y int) world.Point { return world.Point{X: x, Y: y} }

func sign(x int) int {
	switch {
	case x < 0:
		return -1
	case x > 0:
		return 1
	}
	return 0
}

// walk returns the path through the corners.
func walk(corners ...world.Point) []world.Point {
	out := []world.Point{corners[0]}
	for i := 1; i < len(corners); i++ {
		out = append(out, line(corners[i-1], corners[i])...)
	}
	return out
}

func testMaze(t *testing.T) (*world.Level, []Path) {
	t.Helper()
	l, err := world.Parse([]byte(testLevel))
	if err != nil {
		t.Fatal(err)
	}
	return l, []Path{
		{"SGD agent (reaches the exit)", walk(pt(1, 1), pt(1, 9), pt(9, 9))},
		{"GA agent (red apple)", walk(pt(1, 1), pt(9, 1), pt(9, 3), pt(8, 3))},
		{"CMA-ES agent (blue apple)", walk(pt(1, 1), pt(1, 3), pt(3, 3), pt(3, 5))},
	}
}

func TestMazeGolden(t *testing.T) {
	l, paths := testMaze(t)
	for _, tc := range []struct {
		name, title string
		paths       []Path
	}{
		{"maze_paths", "Deployment level, seed 0: paths of three agents from the start", paths},
		{"maze_empty", "Deployment level, seed 0: walls, start, exit and apples", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Maze(tc.title, l, tc.paths)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, tc.name, p)
		})
	}
}

func TestMazeErrors(t *testing.T) {
	l, paths := testMaze(t)
	for _, tc := range []struct {
		name  string
		level *world.Level
		paths []Path
		empty bool
	}{
		{"no level", nil, paths, true},
		{"empty path", l, []Path{{Label: "a"}}, true},
		{"outside", l, []Path{{"a", []world.Point{pt(1, 1), pt(11, 1)}}}, false},
		{"negative", l, []Path{{"a", []world.Point{pt(-1, 1)}}}, false},
		{"walls", &world.Level{Width: 3, Height: 3, Walls: make([]bool, 8)}, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Maze("t", tc.level, tc.paths)
			if err == nil {
				t.Fatal("no error")
			}
			if errors.Is(err, ErrEmpty) != tc.empty {
				t.Errorf("error %q: errors.Is(err, ErrEmpty) = %v, want %v", err, !tc.empty, tc.empty)
			}
		})
	}
}
