package experiment

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// A Sweep is a grid over config paths: each path takes each of its values,
// and the points of the sweep are every combination, the first path varying
// slowest. In YAML it is a mapping from path to list, in the order given:
//
//	sweep:
//	  train.randomize: [0, 0.01, 0.05, 0.25]
//	  optimizers[0].sigma: [0.3, 0.5]
//
// A path names a config field as it is written in YAML: keys joined by
// dots, list elements by [index] ("splits[1].distribution.loops"). A value
// may be any YAML value, a scalar or a flow collection.
type Sweep []SweepParam

// A SweepParam is one path of a sweep and the values it takes, each as YAML
// text.
type SweepParam struct {
	Path   string
	Values []string
}

// UnmarshalYAML reads a mapping from path to list of values.
func (s *Sweep) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("sweep: line %d: want a mapping from config paths to lists of values", n.Line)
	}
	*s = nil
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, err := parsePath(k.Value); err != nil {
			return fmt.Errorf("sweep: line %d: %w", k.Line, err)
		}
		if slices.ContainsFunc(*s, func(p SweepParam) bool { return p.Path == k.Value }) {
			return fmt.Errorf("sweep: line %d: path %q given twice", k.Line, k.Value)
		}
		if v.Kind != yaml.SequenceNode || len(v.Content) == 0 {
			return fmt.Errorf("sweep: %s: line %d: want a non-empty list of values", k.Value, v.Line)
		}
		p := SweepParam{Path: k.Value}
		for _, e := range v.Content {
			b, err := yaml.Marshal(e)
			if err != nil {
				return fmt.Errorf("sweep: %s: line %d: %v", k.Value, e.Line, err)
			}
			p.Values = append(p.Values, strings.TrimSpace(string(b)))
		}
		*s = append(*s, p)
	}
	return nil
}

// MarshalYAML writes the sweep back as a mapping, in order.
func (s Sweep) MarshalYAML() (any, error) {
	m := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, p := range s {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, v := range p.Values {
			n, err := valueNode(v)
			if err != nil {
				return nil, err
			}
			seq.Content = append(seq.Content, n)
		}
		m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: p.Path}, seq)
	}
	return m, nil
}

// Points returns the number of points of the grid (1 for an empty sweep).
func (s Sweep) Points() int {
	n := 1
	for _, p := range s {
		n *= len(p.Values)
	}
	return n
}

// values returns the values of point k, one per path.
func (s Sweep) values(k int) []string {
	vs := make([]string, len(s))
	for i := len(s) - 1; i >= 0; i-- {
		p := s[i]
		vs[i] = p.Values[k%len(p.Values)]
		k /= len(p.Values)
	}
	return vs
}

// maxSweepPoints bounds the grid, so that a typo cannot plan a billion units.
const maxSweepPoints = 100_000

// A pathStep is one step of a config path: a mapping key, or a list index
// when key is "".
type pathStep struct {
	key   string
	index int
}

// parsePath splits "splits[1].distribution.loops" into steps.
func parsePath(path string) ([]pathStep, error) {
	if path == "" {
		return nil, fmt.Errorf("empty config path")
	}
	var steps []pathStep
	for _, part := range strings.Split(path, ".") {
		key, rest, _ := strings.Cut(part, "[")
		if key == "" || !validKey(key) {
			return nil, fmt.Errorf("config path %q: bad key %q", path, part)
		}
		steps = append(steps, pathStep{key: key})
		for rest != "" {
			num, after, ok := strings.Cut(rest, "]")
			i, err := strconv.Atoi(num)
			if !ok || err != nil || i < 0 || i > 1<<16 {
				return nil, fmt.Errorf("config path %q: bad index in %q", path, part)
			}
			steps = append(steps, pathStep{index: i})
			if after == "" {
				break
			}
			if !strings.HasPrefix(after, "[") {
				return nil, fmt.Errorf("config path %q: bad index in %q", path, part)
			}
			rest = after[1:]
		}
	}
	return steps, nil
}

func validKey(k string) bool {
	for _, r := range k {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// valueNode parses YAML text into the node of one value.
func valueNode(text string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		return nil, fmt.Errorf("value %q: %s", text, cleanYAMLError(err))
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return doc.Content[0], nil
}

// setPath sets the value at path in the document, creating mapping keys
// that are missing (a preset distribution then gets the field as an
// override). List elements must exist.
func setPath(doc *yaml.Node, path string, value *yaml.Node) error {
	steps, err := parsePath(path)
	if err != nil {
		return err
	}
	n := doc
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			n.Content = []*yaml.Node{{Kind: yaml.MappingNode}}
		}
		n = n.Content[0]
	}
	for i, st := range steps {
		last := i == len(steps)-1
		at := strings.Join(pathPrefix(steps[:i+1]), "")
		parent := strings.Join(pathPrefix(steps[:i]), "")
		if st.key == "" {
			if n.Kind != yaml.SequenceNode || st.index >= len(n.Content) {
				return fmt.Errorf("%s: no element %d (the list has %d)", at, st.index, len(n.Content))
			}
			if last {
				n.Content[st.index] = value
				return nil
			}
			n = n.Content[st.index]
			continue
		}
		if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
			*n = yaml.Node{Kind: yaml.MappingNode}
		}
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: cannot set field %s inside %s", parent, st.key, kindName(n))
		}
		j := -1
		for k := 0; k+1 < len(n.Content); k += 2 {
			if n.Content[k].Value == st.key {
				j = k + 1
			}
		}
		if last {
			if j < 0 {
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: st.key}, value)
			} else {
				n.Content[j] = value
			}
			return nil
		}
		if j < 0 {
			child := &yaml.Node{Kind: yaml.MappingNode}
			if steps[i+1].key == "" {
				return fmt.Errorf("%s: no list to index", at)
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: st.key}, child)
			n = child
			continue
		}
		n = n.Content[j]
	}
	return nil
}

func pathPrefix(steps []pathStep) []string {
	var parts []string
	for i, s := range steps {
		switch {
		case s.key == "":
			parts = append(parts, "["+strconv.Itoa(s.index)+"]")
		case i > 0:
			parts = append(parts, "."+s.key)
		default:
			parts = append(parts, s.key)
		}
	}
	return parts
}

// deleteKey removes key from the document's top-level mapping.
func deleteKey(doc *yaml.Node, key string) {
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	if n.Kind != yaml.MappingNode {
		return
	}
	for k := 0; k+1 < len(n.Content); k += 2 {
		if n.Content[k].Value == key {
			n.Content = append(n.Content[:k], n.Content[k+2:]...)
			return
		}
	}
}

// cloneNode returns a deep copy of n.
func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, e := range n.Content {
		c.Content[i] = cloneNode(e)
	}
	if n.Alias != nil {
		c.Alias = cloneNode(n.Alias)
	}
	return &c
}
