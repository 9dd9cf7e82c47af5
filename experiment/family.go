package experiment

import (
	"fmt"

	"mesa/agents"
	"mesa/world"
)

// Build returns the agents.Family the config describes.
func (f Family) Build() (agents.Family, error) {
	var fam agents.Family
	switch f.Name {
	case "reactive":
		fam = agents.Reactive{Window: world.Window{Radius: f.Radius, Noise: f.Noise}}
	case "mlp":
		fam = agents.MLP{Window: world.Window{Radius: f.Radius, Noise: f.Noise}, Hidden: f.Hidden}
	case "planner":
		fam = agents.Planner{Discount: f.Discount, Beta: f.Beta, Iterations: f.Iterations,
			Planes: world.Planes{CornerSize: f.CornerSize, Noise: f.Noise}}
	default:
		return nil, fmt.Errorf("name: unknown family %q", f.Name)
	}
	if v, ok := fam.(interface{ Validate() error }); ok {
		if err := v.Validate(); err != nil {
			return nil, err
		}
	}
	return fam, nil
}
