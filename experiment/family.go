package experiment

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/sgd"
)

// A Family selects a policy family by its registered name, with the
// settings its FamilyType decodes from the entry's other fields
// ("{name: mlp, hidden: 32}").
type Family struct {
	Name string
	// Settings are the family's own, decoded by its registered type; nil
	// means its defaults.
	Settings FamilySettings

	typ  FamilyType // the registered type, once decoded
	node *yaml.Node // the config entry, until decodeConfig decodes it
}

// UnmarshalYAML keeps the entry for decodeConfig, which decodes the
// settings with the config's registry; it reads the name only.
func (f *Family) UnmarshalYAML(n *yaml.Node) error {
	name, err := entryName(n)
	if err != nil {
		return err
	}
	*f = Family{Name: name, node: n}
	return nil
}

// MarshalYAML writes the name followed by the settings' fields.
func (f Family) MarshalYAML() (any, error) { return entryNode(f.Name, f.Settings) }

func (*Family) registryEntry() {}

// Build returns the agents.Family the config describes.
func (f Family) Build() (agents.Family, error) {
	s := f.Settings
	if s == nil {
		t, err := f.familyType()
		if err != nil {
			return nil, err
		}
		s = t.NewSettings()
	}
	return s.Family()
}

// LearningRate is the family's default learning rate for gradient
// methods (FamilyType.LearningRate).
func (f Family) LearningRate() float64 {
	if t, err := f.familyType(); err == nil {
		return t.LearningRate()
	}
	return sgd.DefaultLearningRate
}

func (f Family) familyType() (FamilyType, error) {
	if f.typ != nil {
		return f.typ, nil
	}
	t, err := Builtin().FamilyType(f.Name)
	if err != nil {
		return nil, fmt.Errorf("name: %w", err)
	}
	return t, nil
}
