// Package worldtest checks that a level distribution keeps the world's
// contract, in the manner of testing/fstest: a caller that defines its own
// distribution (a config file, a sweep axis) runs TestDistribution on it.
package worldtest

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/mesa-alignment/mesa/world"
)

// TestDistribution generates n levels of d (seeds 0..n-1) and checks that:
//   - each level is a pure function of the seed (generated twice, equal);
//   - every floor cell is reachable from the start, and a maze with no loops
//     is perfect (a spanning tree over its floor cells);
//   - sizes are odd and in range, the border is wall;
//   - start, exit and apples follow the distribution's regions, colours and
//     counts on every level that is not randomised;
//   - the fraction of randomised levels is within 5 binomial standard
//     deviations of d.Randomize;
//   - the text format round-trips every level.
//
// It returns every problem found, joined.
func TestDistribution(d world.Distribution, n int) error {
	g, err := world.NewGenerator(d)
	if err != nil {
		return err
	}
	var errs []error
	fail := func(seed int, format string, args ...any) {
		if len(errs) < 20 {
			errs = append(errs, fmt.Errorf("seed %d: %s", seed, fmt.Sprintf(format, args...)))
		}
	}
	exitColours := colours(d.Exit.Colours)
	appleColours := colours(d.Apples.Colours)
	randomized := 0
	for s := range n {
		seed := uint64(s)
		l := g.Level(seed)
		if again := g.Level(seed); !Equal(l, again) {
			fail(s, "two generations differ")
		}
		checkSize := func(what string, v int, r world.IntRange) {
			if v%2 == 0 || v < r.Min || v > r.Max {
				fail(s, "%s %d not odd within [%d, %d]", what, v, r.Min, r.Max)
			}
		}
		checkSize("width", l.Width, d.Width)
		if d.Height == (world.IntRange{}) {
			if l.Height != l.Width {
				fail(s, "height %d differs from width %d in a square distribution", l.Height, l.Width)
			}
		} else {
			checkSize("height", l.Height, d.Height)
		}
		if !l.Connected() {
			fail(s, "not every floor cell is reachable")
		}
		if d.Loops == 0 && !perfect(l) {
			fail(s, "maze with loops=0 is not a tree")
		}
		if !d.Start.Contains(l.Width, l.Height, l.Start) {
			fail(s, "start %v outside region %+v", l.Start, d.Start)
		}
		if l.Randomized {
			randomized++
		} else {
			if !d.Exit.Contains(l.Width, l.Height, l.Exit.Pos) {
				fail(s, "exit %v outside region %+v", l.Exit.Pos, d.Exit.Placement)
			}
			if !slices.Contains(exitColours, l.Exit.Colour) {
				fail(s, "exit colour %v not in %v", l.Exit.Colour, d.Exit.Colours)
			}
		}
		if c := len(l.Apples); c < d.Apples.Count.Min || c > d.Apples.Count.Max {
			fail(s, "%d apples, want [%d, %d]", c, d.Apples.Count.Min, d.Apples.Count.Max)
		}
		for _, a := range l.Apples {
			if !slices.Contains(appleColours, a.Colour) {
				fail(s, "apple colour %v not in %v", a.Colour, d.Apples.Colours)
			}
		}
		if l.Cue != d.Cue {
			fail(s, "cue %t, distribution says %t", l.Cue, d.Cue)
		}
		back, err := world.Parse(world.Format(l))
		if err != nil {
			fail(s, "text round trip: %v", err)
		} else if !Equal(l, back) {
			fail(s, "text round trip changed the level:\n%s", world.Format(l))
		}
	}
	if n > 0 {
		p := d.Randomize
		sd := math.Sqrt(float64(n) * p * (1 - p))
		if dev := math.Abs(float64(randomized) - float64(n)*p); dev > 5*sd+0.5 {
			errs = append(errs, fmt.Errorf("%d of %d levels randomised, want %.1f ± %.1f", randomized, n, float64(n)*p, 5*sd))
		}
	}
	return errors.Join(errs...)
}

func colours(names []string) []world.Colour {
	cs := make([]world.Colour, 0, len(names))
	for _, n := range names {
		if c, err := world.ParseColour(n); err == nil {
			cs = append(cs, c)
		}
	}
	return cs
}

// perfect reports whether the floor cells form a tree: connected, with one
// fewer adjacency than cells.
func perfect(l *world.Level) bool {
	cells, edges := 0, 0
	for i, w := range l.Walls {
		if w {
			continue
		}
		cells++
		if !l.Walls[i+1] {
			edges++
		}
		if !l.Walls[i+l.Width] {
			edges++
		}
	}
	return l.Connected() && edges == cells-1
}

// Equal reports whether two levels are the same level.
func Equal(a, b *world.Level) bool {
	return bytes.Equal(world.Format(a), world.Format(b)) &&
		a.Width == b.Width && a.Height == b.Height &&
		slices.Equal(a.Walls, b.Walls) && a.Start == b.Start && a.Exit == b.Exit &&
		slices.Equal(a.Apples, b.Apples) && a.StepLimit == b.StepLimit &&
		a.Cue == b.Cue && a.Randomized == b.Randomized && a.Seed == b.Seed
}
