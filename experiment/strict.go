package experiment

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

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
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
				return nil
			}
			return fmt.Errorf("%sline %d: want a mapping, got %s", at(path), n.Line, kindName(n))
		}
		fields := map[string]reflect.Type{}
		collectFields(t, fields)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			ft, ok := fields[k.Value]
			if !ok {
				known := make([]string, 0, len(fields))
				for f := range fields {
					known = append(known, f)
				}
				slices.Sort(known)
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

var nodeType = reflect.TypeOf(yaml.Node{})

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
