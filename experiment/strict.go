package experiment

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxConfigNodes bounds a config's YAML, counted after its aliases are
// expanded: a hundred thousand sweep values fit, an alias bomb (ten
// levels of nine aliases of the level below make 9^10 values of an
// 802-byte file) does not.
const maxConfigNodes = 200_000

// parseDocument parses text as exactly one YAML document and returns it
// with its aliases expanded into copies (anchors dropped), so that what
// follows never walks an alias again: refusing an alias bomb here is what
// keeps every later step bounded. A second document is an error, never
// silently dropped; an empty text is io.EOF.
func parseDocument(text []byte) (*yaml.Node, error) {
	dec := yaml.NewDecoder(bytes.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, io.EOF
		}
		return nil, errors.New(cleanYAMLError(err))
	}
	var extra yaml.Node
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
	case err != nil:
		return nil, fmt.Errorf("a second YAML document follows the first: %s", cleanYAMLError(err))
	default:
		return nil, fmt.Errorf("line %d: a second YAML document starts here (after ---); give one document", max(extra.Line, 1))
	}
	e := expander{sizes: map[*yaml.Node]int{}}
	if _, err := e.size(&doc); err != nil {
		return nil, err
	}
	return e.copy(&doc), nil
}

// An expander expands the aliases of a document within maxConfigNodes.
type expander struct {
	sizes map[*yaml.Node]int // nodes with their aliases expanded; -1 while counting
}

// size returns the number of nodes n expands to, refusing a count beyond
// maxConfigNodes and an alias of a node that contains it. Each node is
// counted once however many aliases name it, so the count costs the
// nodes of the document as written.
func (e *expander) size(n *yaml.Node) (int, error) {
	if s, ok := e.sizes[n]; ok {
		if s < 0 {
			return 0, fmt.Errorf("line %d: YAML anchor %q contains an alias of itself", n.Line, n.Anchor)
		}
		return s, nil
	}
	e.sizes[n] = -1
	s := 1
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		a, err := e.size(n.Alias)
		if err != nil {
			return 0, err
		}
		s = a
	}
	for _, c := range n.Content {
		k, err := e.size(c)
		if err != nil {
			return 0, err
		}
		s += k
		if s > maxConfigNodes {
			break
		}
	}
	if s > maxConfigNodes {
		return 0, fmt.Errorf("line %d: the YAML expands to more than %d values (through its aliases, *name), more than any config needs", n.Line, maxConfigNodes)
	}
	e.sizes[n] = s
	return s, nil
}

// copy returns n with every alias replaced by a copy of its anchor's node,
// anchors dropped. Call it after size has accepted n.
func (e *expander) copy(n *yaml.Node) *yaml.Node {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		return e.copy(n.Alias)
	}
	c := *n
	c.Anchor = ""
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = e.copy(k)
		}
	}
	return &c
}

// decodeStrict decodes node into out (a pointer to a struct, slice or map),
// first checking every mapping key against the yaml tags of the target
// type, so that a typo is reported with its path ("train.exit.regoin") and
// line instead of being silently ignored. Values already in out are kept
// where the node says nothing, which is how presets are overridden.
func decodeStrict(node *yaml.Node, path string, out any) error {
	if err := checkKeys(node, path, reflect.TypeOf(out).Elem()); err != nil {
		return err
	}
	if err := node.Decode(out); err != nil {
		return fmt.Errorf("%s%s", at(path), cleanYAMLError(err))
	}
	return nil
}

// at prefixes a message with its field path, if any.
// lineAt is "line N: " for a node read from the config's text, "" for
// one --set made (line 0), whose path names it.
func lineAt(line int) string {
	if line <= 0 {
		return ""
	}
	return fmt.Sprintf("line %d: ", line)
}

func at(p string) string {
	if p == "" {
		return ""
	}
	return p + ": "
}

func pathOr(p string) string {
	if p == "" {
		return "config"
	}
	return p
}

// printable returns s as it is if it is valid UTF-8 without control
// characters, and quoted (Go syntax, invalid bytes as \x escapes) if not,
// so that an error never echoes raw bytes to a terminal.
func printable(s string) string {
	for _, r := range s {
		if r == utf8.RuneError || !unicode.IsGraphic(r) {
			return strconv.Quote(s)
		}
	}
	return s
}

// cleanYAMLError drops yaml's "yaml: unmarshal errors:\n  " framing.
func cleanYAMLError(err error) string {
	s := err.Error()
	s = strings.TrimPrefix(s, "yaml: unmarshal errors:\n")
	s = strings.TrimPrefix(s, "yaml: ")
	return strings.Join(strings.Fields(s), " ")
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func checkKeys(n *yaml.Node, path string, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.DocumentNode {
		if len(n.Content) == 0 {
			return nil
		}
		n = n.Content[0]
	}
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if t == durationType || reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil // read from text its own way
		}
		return checkInt(n, path, t)
	case reflect.Float32, reflect.Float64, reflect.Bool:
		// yaml's own message names neither the field nor, for --set, a
		// line: decode the scalar here to say which.
		if n.Kind != yaml.ScalarNode || n.Tag == "!!null" || reflect.PointerTo(t).Implements(unmarshalerType) {
			return nil
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			want := "a number"
			if t.Kind() == reflect.Bool {
				want = "true or false"
			}
			return fmt.Errorf("%s%s%s is not %s", at(path), lineAt(n.Line), strconv.Quote(printable(n.Value)), want)
		}
	case reflect.Struct:
		if reflect.PointerTo(t).Implements(registryEntryType) {
			return nil // its registered type checks its settings' keys
		}
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return fmt.Errorf("%s%swant a mapping, got %s", at(path), lineAt(n.Line), kindName(n))
		}
		fields := fieldsOf(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				known := make([]string, 0, len(fields))
				for f := range fields {
					known = append(known, f)
				}
				slices.Sort(known)
				if k.Line <= 0 { // a key --set or a sweep made: its path says where
					return fmt.Errorf("%sunknown field (known in %s: %s)", at(join(path, k.Value)), pathOr(path), strings.Join(known, ", "))
				}
				return fmt.Errorf("%sline %d: unknown field %q (known: %s)", at(path), k.Line, k.Value, strings.Join(known, ", "))
			}
			if ft == nil { // yaml.Node or interface: anything goes
				continue
			}
			if err := checkKeys(v, join(path, k.Value), ft); err != nil {
				return err
			}
		}
	case reflect.Slice:
		if n.Kind == yaml.SequenceNode && t.Elem().Kind() != reflect.Uint8 {
			for i, c := range n.Content {
				if err := checkKeys(c, fmt.Sprintf("%s[%d]", pathOr(path), i), t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 0; i+1 < len(n.Content); i += 2 {
				if err := checkKeys(n.Content[i+1], join(path, n.Content[i].Value), t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

var (
	nodeType        = reflect.TypeOf(yaml.Node{})
	durationType    = reflect.TypeOf(time.Duration(0))
	unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	// registryEntryType marks families and optimizers entries, whose
	// settings their registered types decode.
	registryEntryType = reflect.TypeOf((*interface{ registryEntry() })(nil)).Elem()
)

// fieldTypes caches fieldsOf: every sweep point checks its keys.
var fieldTypes sync.Map // reflect.Type → map[string]reflect.Type

// fieldsOf maps the yaml keys of struct type t to field types (see
// collectFields). The map is shared: do not modify it.
func fieldsOf(t reflect.Type) map[string]reflect.Type {
	if m, ok := fieldTypes.Load(t); ok {
		return m.(map[string]reflect.Type)
	}
	m := map[string]reflect.Type{}
	collectFields(t, m)
	fieldTypes.Store(t, m)
	return m
}

// collectFields maps yaml keys to field types, descending into inline
// structs. A nil type marks a field that accepts any shape.
func collectFields(t reflect.Type, fields map[string]reflect.Type) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(","+opts+",", ",inline,") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			collectFields(ft, fields)
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if f.Type == nodeType || f.Type.Kind() == reflect.Interface {
			fields[name] = nil
			continue
		}
		fields[name] = f.Type
	}
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	}
	return "something else"
}

// checkInt refuses a scalar that an integer field of type t cannot hold
// exactly. yaml reads 2.5 into an int as 2, and 18446744073709551616 (a
// float to it, past every uint64) into a uint64 as 2^63.
func checkInt(n *yaml.Node, path string, t reflect.Type) error {
	if n.Kind != yaml.ScalarNode {
		return nil // yaml names the mismatch
	}
	v := reflect.New(t).Elem()
	bad := func(why string) error {
		v := printable(n.Value)
		if n.ShortTag() == "!!str" {
			v = strconv.Quote(n.Value)
		}
		return fmt.Errorf("%s%s%s %s", at(path), lineAt(n.Line), v, why)
	}
	outOfRange := func() error {
		if v.CanUint() {
			return bad(fmt.Sprintf("out of range [0, %d]", uint64(math.MaxUint64)>>(64-t.Bits())))
		}
		return bad(fmt.Sprintf("out of range [%d, %d]", int64(-1)<<(t.Bits()-1), int64(math.MaxInt64)>>(64-t.Bits())))
	}
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!int":
		var i int64
		if err := n.Decode(&i); err == nil {
			if v.CanInt() && !v.OverflowInt(i) || v.CanUint() && i >= 0 && !v.OverflowUint(uint64(i)) {
				return nil
			}
			return outOfRange()
		}
		var u uint64
		if err := n.Decode(&u); err == nil && v.CanUint() && !v.OverflowUint(u) {
			return nil
		}
		return outOfRange()
	case "!!float":
		var f float64
		if err := n.Decode(&f); err != nil {
			return bad("is not a number")
		}
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0) || f != math.Trunc(f):
			return bad("is not an integer")
		case v.CanUint() && (f < 0 || f >= math.Ldexp(1, t.Bits())),
			v.CanInt() && (f < -math.Ldexp(1, t.Bits()-1) || f >= math.Ldexp(1, t.Bits()-1)):
			return outOfRange()
		case math.Abs(f) > 1<<53:
			return bad("is too large to be read exactly as a float: write the integer's digits")
		}
		return nil
	}
	return bad("is not an integer")
}
