// Package wide is a policy family from outside mesa: mesa's reactive
// linear-softmax policy with a wider default window (radius 3 where
// reactive's is 2), registered under a name of its own. It shows what a
// family brings to mesa: its name, its settings, their validation and its
// default learning rate.
package wide

import (
	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/experiment"
	"github.com/mesa-alignment/mesa/world"
)

// DefaultRadius is the window radius of a zero Settings.
const DefaultRadius = 3

// Family is the reactive family under the name "wide".
type Family struct{ agents.Reactive }

// Name returns "wide".
func (Family) Name() string { return "wide" }

// Settings are the family's config settings: a families entry
// {name: wide, radius: 4}.
type Settings struct {
	Radius int         `yaml:"radius,omitempty"` // 0 means DefaultRadius
	Noise  world.Noise `yaml:"noise,omitempty"`
}

// Family validates the settings (reactive's limits) and returns the
// family.
func (s *Settings) Family() (agents.Family, error) {
	r := s.Radius
	if r == 0 {
		r = DefaultRadius
	}
	f := Family{agents.Reactive{Window: world.Window{Radius: r, Noise: s.Noise}}}
	return f, f.Validate()
}

// Type registers the family: experiment.Registry.RegisterFamily(wide.Type{}).
type Type struct{}

func (Type) Name() string                           { return "wide" }
func (Type) NewSettings() experiment.FamilySettings { return &Settings{} }

// LearningRate is Adam's default step size on the family: reactive's.
func (Type) LearningRate() float64 { return 0.02 }
