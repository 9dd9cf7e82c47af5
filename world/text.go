package world

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
)

// The text level format, for fixtures, tests and `mesa render`:
//
//	mesa-level v1 steps=121 cue=true seed=7 randomized=false
//	#######
//	#S..#.#
//	#.#.#.#
//	#.#r..#
//	#.###.#
//	#....G#
//	#######
//
// The header names the format, then key=value fields: steps (the step limit,
// required), cue, seed and randomized (optional; false, 0 and false when
// absent). Each following line is one row of the maze, one character per
// cell: '#' wall, '.' floor, 'S' the start, an upper-case colour code the
// exit of that colour, a lower-case colour code an apple of that colour.
// Colour codes are Palette[i].Code: g green, a gray, r red, b blue, y yellow,
// p purple, o orange, w white. Rows must have equal length and the border must
// be wall. Print writes this format; Parse(Print(l)) equals l.

const textMagic = "mesa-level v1"

// Print writes l in the text level format.
func Print(w io.Writer, l *Level) error {
	_, err := w.Write(Format(l))
	return err
}

// Format returns l in the text level format.
func Format(l *Level) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s steps=%d cue=%t seed=%d randomized=%t\n", textMagic, l.StepLimit, l.Cue, l.Seed, l.Randomized)
	b.Write(l.Render(nil))
	return b.Bytes()
}

// Render returns the maze as rows of cell characters (the body of the text
// format). If e is not nil, eaten apples are drawn as floor and the agent as
// '@'.
func (l *Level) Render(e *Episode) []byte {
	var b bytes.Buffer
	b.Grow((l.Width + 1) * l.Height)
	for y := range l.Height {
		for x := range l.Width {
			i := y*l.Width + x
			c := byte('.')
			switch {
			case l.Walls[i]:
				c = '#'
			case e != nil && e.pos == i:
				c = '@'
			case l.objAt[i] == 1:
				c = Palette[l.Exit.Colour].Code - 'a' + 'A'
			case l.objAt[i] >= 2:
				j := int(l.objAt[i]) - 2
				if e == nil || !e.Eaten(j) {
					c = Palette[l.Apples[j].Colour].Code
				}
			case l.Start.X == x && l.Start.Y == y:
				c = 'S'
			}
			b.WriteByte(c)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// A SyntaxError reports where a level text is malformed. Line and Column
// count from 1; Column is 0 when the whole line is at fault.
type SyntaxError struct {
	Line, Column int
	Msg          string
}

func (e *SyntaxError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Msg)
	}
	return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
}

// Parse reads a level in the text format. Errors are *SyntaxError values
// naming the line and column.
func Parse(text []byte) (*Level, error) {
	lines := strings.Split(string(text), "\n")
	if n := len(lines); n > 0 && lines[n-1] == "" {
		lines = lines[:n-1]
	}
	for i, ln := range lines {
		lines[i] = strings.TrimSuffix(ln, "\r")
	}
	if len(lines) == 0 {
		return nil, &SyntaxError{Line: 1, Msg: "empty level text"}
	}
	l := &Level{}
	if err := parseHeader(l, lines[0]); err != nil {
		return nil, err
	}
	rows := lines[1:]
	if len(rows) < 3 {
		return nil, &SyntaxError{Line: len(lines) + 1, Msg: fmt.Sprintf("%d maze rows, need at least 3", len(rows))}
	}
	if len(rows) > MaxSize {
		return nil, &SyntaxError{Line: MaxSize + 2, Msg: fmt.Sprintf("more than %d maze rows", MaxSize)}
	}
	l.Width, l.Height = len(rows[0]), len(rows)
	if l.Width < 3 || l.Width > MaxSize {
		return nil, &SyntaxError{Line: 2, Msg: fmt.Sprintf("row width %d out of range [3, %d]", l.Width, MaxSize)}
	}
	l.Walls = make([]bool, l.Width*l.Height)
	var haveStart, haveExit bool
	for y, row := range rows {
		line := y + 2
		if len(row) != l.Width {
			return nil, &SyntaxError{Line: line, Msg: fmt.Sprintf("row has %d cells, the first row has %d", len(row), l.Width)}
		}
		for x := 0; x < len(row); x++ {
			c := row[x]
			p := Point{x, y}
			border := x == 0 || y == 0 || x == l.Width-1 || y == l.Height-1
			if border && c != '#' {
				return nil, &SyntaxError{Line: line, Column: x + 1, Msg: fmt.Sprintf("border cell %q must be wall '#'", c)}
			}
			switch {
			case c == '#':
				l.Walls[y*l.Width+x] = true
			case c == '.':
			case c == 'S':
				if haveStart {
					return nil, &SyntaxError{Line: line, Column: x + 1, Msg: "second start 'S'"}
				}
				haveStart, l.Start = true, p
			default:
				col, upper, ok := colourCode(c)
				if !ok {
					return nil, &SyntaxError{Line: line, Column: x + 1, Msg: fmt.Sprintf("unknown cell %q", c)}
				}
				if upper {
					if haveExit {
						return nil, &SyntaxError{Line: line, Column: x + 1, Msg: fmt.Sprintf("second exit %q", c)}
					}
					haveExit, l.Exit = true, Object{Kind: Exit, Colour: col, Pos: p}
				} else {
					if len(l.Apples) == MaxApples {
						return nil, &SyntaxError{Line: line, Column: x + 1, Msg: fmt.Sprintf("more than %d apples", MaxApples)}
					}
					l.Apples = append(l.Apples, Object{Kind: Apple, Colour: col, Pos: p})
				}
			}
		}
	}
	if !haveStart {
		return nil, &SyntaxError{Line: 2, Msg: "no start 'S'"}
	}
	if !haveExit {
		return nil, &SyntaxError{Line: 2, Msg: "no exit (an upper-case colour code such as 'G')"}
	}
	if err := l.finish(); err != nil {
		return nil, &SyntaxError{Line: 2, Msg: err.Error()}
	}
	return l, nil
}

func colourCode(c byte) (Colour, bool, bool) {
	upper := c >= 'A' && c <= 'Z'
	if upper {
		c += 'a' - 'A'
	}
	i := slices.IndexFunc(Palette[:], func(p struct {
		Name string
		Code byte
	}) bool {
		return p.Code == c
	})
	return Colour(i), upper, i >= 0
}

func parseHeader(l *Level, h string) error {
	if !strings.HasPrefix(h, textMagic) || (len(h) > len(textMagic) && h[len(textMagic)] != ' ') {
		return &SyntaxError{Line: 1, Column: 1, Msg: fmt.Sprintf("header must start with %q", textMagic)}
	}
	col := len(textMagic) + 2
	seen := map[string]bool{}
	for _, f := range strings.Fields(h[len(textMagic):]) {
		col = strings.Index(h[col-1:], f) + col
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return &SyntaxError{Line: 1, Column: col, Msg: fmt.Sprintf("field %q is not key=value", f)}
		}
		if seen[k] {
			return &SyntaxError{Line: 1, Column: col, Msg: fmt.Sprintf("field %q given twice", k)}
		}
		seen[k] = true
		var err error
		switch k {
		case "steps":
			l.StepLimit, err = strconv.Atoi(v)
			if err == nil && (l.StepLimit <= 0 || l.StepLimit > 1<<20) {
				err = fmt.Errorf("out of range [1, %d]", 1<<20)
			}
		case "cue":
			l.Cue, err = strconv.ParseBool(v)
		case "randomized":
			l.Randomized, err = strconv.ParseBool(v)
		case "seed":
			l.Seed, err = strconv.ParseUint(v, 10, 64)
		default:
			return &SyntaxError{Line: 1, Column: col, Msg: fmt.Sprintf("unknown field %q", k)}
		}
		if err != nil {
			return &SyntaxError{Line: 1, Column: col, Msg: fmt.Sprintf("field %s: bad value %q: %v", k, v, errShort(err))}
		}
		col += len(f)
	}
	if !seen["steps"] {
		return &SyntaxError{Line: 1, Msg: "header has no steps=N field"}
	}
	return nil
}

// errShort drops strconv's repetition of the input from its errors.
func errShort(err error) error {
	if ne, ok := err.(*strconv.NumError); ok {
		return ne.Err
	}
	return err
}
