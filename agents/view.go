package agents

import (
	"fmt"

	"github.com/mesa-alignment/mesa/world"
)

// A View is what an agent's observation shows of a level: the whole level
// (the zero value), or an egocentric square window of Radius cells around
// the agent's cell, as world.Window observes it (walls and objects alike,
// nothing hidden behind a wall). The analysis asks it when a target first
// came into the agent's sight: an agent cannot be expected to head for an
// exit it has not seen (analysis.Classifier).
type View struct {
	// Window is true for an egocentric window of Radius cells.
	Window bool
	Radius int
}

// Sees reports whether an agent in cell at sees cell q.
func (v View) Sees(at, q world.Point) bool {
	if !v.Window {
		return true
	}
	return max(abs(at.X-q.X), abs(at.Y-q.Y)) <= v.Radius
}

// String describes the view: "the whole level" or "a radius-2 window".
func (v View) String() string {
	if !v.Window {
		return "the whole level"
	}
	return fmt.Sprintf("a radius-%d window", v.Radius)
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// A Viewer says what its agents observe. Every family and every scripted
// agent is one.
type Viewer interface {
	View() View
}

// ViewOf returns the view of x if it is a Viewer, and the whole level
// otherwise.
func ViewOf(x any) View {
	if v, ok := x.(Viewer); ok {
		return v.View()
	}
	return View{}
}

var (
	_ Viewer = Reactive{}
	_ Viewer = MLP{}
	_ Viewer = Planner{}
	_ Viewer = (*Scripted)(nil)
)

// View returns the reactive agent's window.
func (r Reactive) View() View { return View{Window: true, Radius: resolveWindow(r.Window).Radius} }

// View returns the MLP's window.
func (m MLP) View() View { return View{Window: true, Radius: resolveWindow(m.Window).Radius} }

// View returns the whole level: the planner plans on the known map.
func (Planner) View() View { return View{} }

// View returns the whole level for the scripted agents that plan on the
// map, and the explorer's window.
func (s *Scripted) View() View {
	if s.kind == scriptExplorer {
		return View{Window: true, Radius: s.radius}
	}
	return View{}
}
