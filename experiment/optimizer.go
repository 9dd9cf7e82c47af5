package experiment

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/mesa-alignment/mesa/train"
)

// An Optimizer selects a base optimizer by its registered name, with the
// settings its OptimizerType decodes from the entry's other fields
// ("{name: ga, population: 64}"). Zero settings mean the method's
// defaults; a field the optimizer does not have is an error naming it. A
// config trains with each optimizer at most once; compare settings of one
// optimizer across runs (mesa sweep).
type Optimizer struct {
	Name string
	// Settings are the optimizer's own, decoded by its registered type;
	// nil means its defaults.
	Settings OptimizerSettings

	node *yaml.Node // the config entry, until decodeConfig decodes it
}

// UnmarshalYAML keeps the entry for decodeConfig, which decodes the
// settings with the config's registry; it reads the name only.
func (o *Optimizer) UnmarshalYAML(n *yaml.Node) error {
	name, err := entryName(n)
	if err != nil {
		return err
	}
	*o = Optimizer{Name: name, node: n}
	return nil
}

// MarshalYAML writes the name followed by the settings' fields.
func (o Optimizer) MarshalYAML() (any, error) { return entryNode(o.Name, o.Settings) }

func (*Optimizer) registryEntry() {}

// Build returns the train.Method the config describes, for training
// family f (whose default learning rate gradient methods take).
func (o Optimizer) Build(f Family) (train.Method, error) {
	s, err := o.settings(Builtin())
	if err != nil {
		return nil, err
	}
	return s.Method(f.LearningRate())
}

// settings returns o's settings, the registered type's defaults if none
// were decoded.
func (o Optimizer) settings(reg *Registry) (OptimizerSettings, error) {
	if o.Settings != nil {
		return o.Settings, nil
	}
	t, err := reg.OptimizerType(o.Name)
	if err != nil {
		return nil, fmt.Errorf("name: %w", err)
	}
	return t.NewSettings(), nil
}

// entryName reads the name field of a families or optimizers entry.
func entryName(n *yaml.Node) (string, error) {
	if n.Kind != yaml.MappingNode {
		return "", fmt.Errorf("%swant a mapping with a name, got %s", lineAt(n.Line), kindName(n))
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "name" {
			v := n.Content[i+1]
			if v.Kind != yaml.ScalarNode {
				return "", fmt.Errorf("name: %swant a name, got %s", lineAt(v.Line), kindName(v))
			}
			return v.Value, nil
		}
	}
	return "", fmt.Errorf("%sno name", lineAt(n.Line))
}
