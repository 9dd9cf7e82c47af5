package experiment

import (
	"errors"
	"fmt"
	"io"
	"math"
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
		if len(v.Content) > maxSweepValues {
			return fmt.Errorf("sweep: %s: line %d: %d values, more than %d for one path (a grid of several paths has up to %d points; replications are seeds:)",
				k.Value, v.Line, len(v.Content), maxSweepValues, maxSweepPoints)
		}
		p := SweepParam{Path: k.Value, Values: make([]string, 0, len(v.Content))}
		for _, e := range v.Content {
			if plainNode(e) { // what Marshal would write, without an emitter
				p.Values = append(p.Values, e.Value)
				continue
			}
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

// Points returns the number of points of the grid (1 for an empty sweep),
// or math.MaxInt if it has more.
func (s Sweep) Points() int {
	n := 1
	for _, p := range s {
		if len(p.Values) > 0 && n > math.MaxInt/len(p.Values) {
			return math.MaxInt
		}
		n *= len(p.Values)
	}
	return n
}

// values returns the values of point k, one per path.
func (s Sweep) values(k int) []string {
	vs := make([]string, len(s))
	for i, j := range s.indices(k) {
		vs[i] = s[i].Values[j]
	}
	return vs
}

// indices returns the index of each path's value at point k.
func (s Sweep) indices(k int) []int {
	is := make([]int, len(s))
	for i := len(s) - 1; i >= 0; i-- {
		n := len(s[i].Values)
		is[i] = k % n
		k /= n
	}
	return is
}

// AppendValues appends the values of point k to dst as "path=value",
// separated by spaces, in sweep order, and returns the extended slice: what
// `mesa sweep plan` prints for a point, without allocating.
func (s Sweep) AppendValues(dst []byte, k int) []byte {
	for i, p := range s {
		stride := 1
		for _, q := range s[i+1:] {
			stride *= len(q.Values)
		}
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(append(append(dst, p.Path...), '='), p.Values[k/stride%len(p.Values)]...)
	}
	return dst
}

// tooLarge describes a grid of more than maxSweepPoints points.
func (s Sweep) tooLarge() string {
	n := 1.0
	for _, p := range s {
		n *= float64(len(p.Values))
	}
	return fmt.Sprintf("sweep: %.0f points, more than %d", n, maxSweepPoints)
}

// maxSweepPoints bounds the grid, so that a typo cannot plan a billion
// units; maxSweepValues bounds one path's list. Writing the resolved config
// (for the run id) holds every value at once in yaml's emitter, about 1.6
// kB each: planning a list of 100000 values took 217 MB; with lists of at
// most 1000, 100000 points plan within 100 MB (86 MB for 1000 × 100
// values and 800000 units).
const (
	maxSweepPoints = 100_000
	maxSweepValues = 1000
)

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

// plainText reports whether text reads as one plain YAML scalar, itself,
// wherever it is written: letters, digits and _ . + - only, and neither a
// document marker ("---", "...") nor a lone "-". Sweep values are mostly
// such numbers and names: they need no parser and no emitter.
func plainText(text string) bool {
	if text == "" || text == "-" || strings.HasPrefix(text, "--") || strings.HasPrefix(text, "..") {
		return false
	}
	for _, r := range text {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.' || r == '+' || r == '-') {
			return false
		}
	}
	return true
}

// plainNode reports whether n is a plain scalar of plainText, without
// comments: yaml.Marshal writes it as its value.
func plainNode(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Style == 0 && n.Anchor == "" && n.HeadComment == "" &&
		n.LineComment == "" && n.FootComment == "" && plainText(n.Value)
}

// valueNode parses YAML text, one document, into the node of one value;
// an empty text is null.
func valueNode(text string) (*yaml.Node, error) {
	if plainText(text) { // the node the parser makes of it
		n := &yaml.Node{Kind: yaml.ScalarNode, Value: text, Line: 1, Column: 1}
		n.Tag = n.ShortTag()
		return n, nil
	}
	doc, err := parseDocument([]byte(text))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("value %q: %w", text, err)
	}
	if err != nil || doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Value: "null"}, nil
	}
	return doc.Content[0], nil
}

// setPath returns doc with the value at path set to value, creating
// mapping keys that are missing (a preset distribution then gets the field
// as an override). List elements must exist. It copies the nodes on the
// path and shares every other node, value included, with doc and value,
// which it leaves as they are: a sweep point costs its path, not a copy of
// the document.
func setPath(doc *yaml.Node, path string, value *yaml.Node) (*yaml.Node, error) {
	steps, err := parsePath(path)
	if err != nil {
		return nil, err
	}
	d := *doc
	if d.Kind != yaml.DocumentNode {
		return setSteps(&d, steps, 0, value)
	}
	root := &yaml.Node{Kind: yaml.MappingNode}
	if len(d.Content) > 0 {
		root = d.Content[0]
	}
	r, err := setSteps(root, steps, 0, value)
	if err != nil {
		return nil, err
	}
	d.Content = []*yaml.Node{r}
	return &d, nil
}

// setSteps returns a copy of n with steps[i:] set to value.
func setSteps(n *yaml.Node, steps []pathStep, i int, value *yaml.Node) (*yaml.Node, error) {
	st := steps[i]
	last := i == len(steps)-1
	at := strings.Join(pathPrefix(steps[:i+1]), "")
	c := *n
	c.Content = slices.Clone(n.Content)
	if st.key == "" {
		if c.Kind != yaml.SequenceNode || st.index >= len(c.Content) {
			return nil, fmt.Errorf("%s: no element %d (the list has %d)", at, st.index, len(c.Content))
		}
		if last {
			c.Content[st.index] = value
			return &c, nil
		}
		child, err := setSteps(c.Content[st.index], steps, i+1, value)
		if err != nil {
			return nil, err
		}
		c.Content[st.index] = child
		return &c, nil
	}
	if c.Kind == yaml.ScalarNode && c.Tag == "!!null" {
		c = yaml.Node{Kind: yaml.MappingNode}
	}
	if c.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s: cannot set field %s inside %s", strings.Join(pathPrefix(steps[:i]), ""), st.key, kindName(&c))
	}
	j := -1
	for k := 0; k+1 < len(c.Content); k += 2 {
		if c.Content[k].Value == st.key {
			j = k + 1
		}
	}
	switch {
	case last && j < 0:
		c.Content = append(c.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: st.key}, value)
	case last:
		c.Content[j] = value
	case j < 0:
		if steps[i+1].key == "" {
			return nil, fmt.Errorf("%s: no list to index", at)
		}
		child, err := setSteps(&yaml.Node{Kind: yaml.MappingNode}, steps, i+1, value)
		if err != nil {
			return nil, err
		}
		c.Content = append(c.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: st.key}, child)
	default:
		child, err := setSteps(c.Content[j], steps, i+1, value)
		if err != nil {
			return nil, err
		}
		c.Content[j] = child
	}
	return &c, nil
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

// withoutKey returns doc without key in its top-level mapping, sharing
// every other node with doc.
func withoutKey(doc *yaml.Node, key string) *yaml.Node {
	d := *doc
	root := &d
	if d.Kind == yaml.DocumentNode && len(d.Content) > 0 {
		r := *d.Content[0]
		d.Content = []*yaml.Node{&r}
		root = &r
	}
	if root.Kind != yaml.MappingNode {
		return &d
	}
	root.Content = slices.Clone(root.Content)
	for k := 0; k+1 < len(root.Content); k += 2 {
		if root.Content[k].Value == key {
			root.Content = slices.Delete(root.Content, k, k+2)
			break
		}
	}
	return &d
}
