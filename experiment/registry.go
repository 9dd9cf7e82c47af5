package experiment

import (
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/mesa-alignment/mesa/agents"
	"github.com/mesa-alignment/mesa/train"
)

// A FamilyType is a policy family a config can name: registered under its
// name, it decodes the settings of a config's families entry into a value
// of its own, which validates them and builds the family.
type FamilyType interface {
	// Name is the family's name in configs, tables and agent ids:
	// lower-case letters, digits, '-' and '_'.
	Name() string
	// NewSettings returns a pointer to the family's zero settings, a
	// struct with yaml tags: a config entry's fields other than name are
	// decoded into it strictly (an unknown field is an error naming its
	// path). Its zero value means the family's defaults.
	NewSettings() FamilySettings
	// LearningRate is the default step size of gradient base optimizers
	// on the family (Adam's η when the config gives none).
	LearningRate() float64
}

// FamilySettings are one family's settings, decoded from a config.
type FamilySettings interface {
	// Family validates the settings, naming the field at fault, and
	// returns the family they describe.
	Family() (agents.Family, error)
}

// An OptimizerType is a base optimizer a config can name: registered
// under its name, it decodes the settings of a config's optimizers entry
// into a value of its own, which validates them, builds the method and
// estimates its memory.
type OptimizerType interface {
	// Name is the optimizer's name in configs, tables and agent ids.
	Name() string
	// NewSettings returns a pointer to the optimizer's zero settings (see
	// FamilyType.NewSettings).
	NewSettings() OptimizerSettings
}

// OptimizerSettings are one base optimizer's settings, decoded from a
// config.
type OptimizerSettings interface {
	// Method validates the settings, naming the field at fault, and
	// returns the method, for training a family whose default learning
	// rate is rate (FamilyType.LearningRate).
	Method(rate float64) (train.Method, error)
	// Memory estimates the bytes one training run needs for a family with
	// dim parameters, levelBytes per training level held, and says what
	// dominates ("ga planner: 1 population × 64 members × …").
	Memory(family string, dim int, levelBytes float64) (bytes float64, what string)
}

// A Registry holds the families and base optimizers configs may name.
// Register before parsing; a Registry is safe for concurrent reads.
type Registry struct {
	mu         sync.RWMutex
	families   []FamilyType
	optimizers []OptimizerType
}

// NewRegistry returns a registry holding mesa's families (reactive,
// planner, mlp) and base optimizers (ga, es, sgd), to which a program adds
// its own.
func NewRegistry() *Registry {
	r := &Registry{}
	for _, f := range builtinFamilies() {
		r.mustRegister(r.RegisterFamily(f))
	}
	for _, o := range builtinOptimizers() {
		r.mustRegister(r.RegisterOptimizer(o))
	}
	return r
}

func (r *Registry) mustRegister(err error) {
	if err != nil {
		panic(err) // a built-in registration is wrong: a bug in mesa
	}
}

// builtin is the registry Parse uses.
var builtin = sync.OnceValue(NewRegistry)

// Builtin returns the registry of mesa's own families and optimizers,
// which Parse, ParseWith and ParseContext use. It is shared: add to a
// NewRegistry instead.
func Builtin() *Registry { return builtin() }

// RegisterFamily adds a family. Its name must be a plain name (lower-case
// letters, digits, '-', '_') that no family has yet.
func (r *Registry) RegisterFamily(t FamilyType) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := checkName("family", t.Name(), slices.ContainsFunc(r.families, func(f FamilyType) bool { return f.Name() == t.Name() })); err != nil {
		return err
	}
	r.families = append(r.families, t)
	return nil
}

// RegisterOptimizer adds a base optimizer, named as RegisterFamily says.
// "none" is the optimizer of scripted references and cannot be taken.
func (r *Registry) RegisterOptimizer(t OptimizerType) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	taken := t.Name() == "none" || slices.ContainsFunc(r.optimizers, func(o OptimizerType) bool { return o.Name() == t.Name() })
	if err := checkName("optimizer", t.Name(), taken); err != nil {
		return err
	}
	r.optimizers = append(r.optimizers, t)
	return nil
}

func checkName(what, name string, taken bool) error {
	if !validName(name) || strings.ToLower(name) != name {
		return fmt.Errorf("experiment: register %s %q: want a plain lower-case name", what, name)
	}
	if taken {
		return fmt.Errorf("experiment: register %s %q: the name is taken", what, name)
	}
	return nil
}

// FamilyNames lists the registered families, in registration order.
func (r *Registry) FamilyNames() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, len(r.families))
	for i, f := range r.families {
		out[i] = f.Name()
	}
	return out
}

// OptimizerNames lists the registered base optimizers, in registration
// order.
func (r *Registry) OptimizerNames() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	out := make([]string, len(r.optimizers))
	for i, o := range r.optimizers {
		out[i] = o.Name()
	}
	return out
}

// FamilyType returns the family registered under name.
func (r *Registry) FamilyType(name string) (FamilyType, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, f := range r.families {
		if f.Name() == name {
			return f, nil
		}
	}
	return nil, fmt.Errorf("unknown family %q (known: %s)", name, strings.Join(r.namesLocked(true), ", "))
}

// OptimizerType returns the base optimizer registered under name.
func (r *Registry) OptimizerType(name string) (OptimizerType, error) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, o := range r.optimizers {
		if o.Name() == name {
			return o, nil
		}
	}
	return nil, fmt.Errorf("unknown optimizer %q (known: %s)", name, strings.Join(r.namesLocked(false), ", "))
}

func (r *Registry) namesLocked(families bool) []string {
	var out []string
	if families {
		for _, f := range r.families {
			out = append(out, f.Name())
		}
		return out
	}
	for _, o := range r.optimizers {
		out = append(out, o.Name())
	}
	return out
}

// decodeSettings decodes the fields of entry n other than name into out,
// strictly, errors prefixed with path.
func decodeSettings(n *yaml.Node, path string, out any) error {
	if n == nil {
		return nil
	}
	rest := *n
	rest.Content = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value != "name" {
			rest.Content = append(rest.Content, n.Content[i], n.Content[i+1])
		}
	}
	if len(rest.Content) == 0 {
		return nil
	}
	return decodeStrict(&rest, path, out)
}

// entryNode returns a mapping node of name followed by the fields of
// settings (those yaml writes: zero values with omitempty are left out).
func entryNode(name string, settings any) (*yaml.Node, error) {
	n := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Tag: "!!str", Value: "name"}, {Kind: yaml.ScalarNode, Tag: "!!str", Value: name}}}
	if settings == nil {
		return n, nil
	}
	var s yaml.Node
	if err := s.Encode(settings); err != nil {
		return nil, err
	}
	if s.Kind == yaml.MappingNode {
		n.Content = append(n.Content, s.Content...)
	}
	return n, nil
}
