package config

import (
	"encoding"
	"fmt"
	"reflect"
	"sort"
	"strings"

	"github.com/prometheus/common/model"
	"gopkg.in/yaml.v3"
)

// yaml.v3 applies KnownFields only to the top-level decode: node.Decode in
// a custom UnmarshalYAML accepts any key. So before decoding, checkFields
// walks the whole document against the Go types and refuses unknown keys
// (and malformed durations, whose own errors carry no line), naming the
// field path and the line.

var durationType = reflect.TypeOf(model.Duration(0))

// checkFields checks node against type t; path names the node for errors.
func checkFields(node *yaml.Node, t reflect.Type, path string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if node.Kind == yaml.DocumentNode {
		for _, c := range node.Content {
			if err := checkFields(c, t, path); err != nil {
				return err
			}
		}
		return nil
	}
	if node.Kind == yaml.AliasNode {
		return checkFields(node.Alias, t, path)
	}
	if t == durationType {
		if node.Kind == yaml.ScalarNode && node.Tag != "!!null" {
			if _, err := model.ParseDuration(node.Value); err != nil {
				return lineError(node.Line, path, "%q is not a duration (use e.g. 30s, 5m, 1h)", node.Value)
			}
		}
		return nil
	}
	if pt := reflect.PointerTo(t); pt.Implements(textUnmarshalerType) && !pt.Implements(yamlUnmarshalerType) &&
		!pt.Implements(obsoleteUnmarshalerType) && node.Kind == yaml.ScalarNode && node.Tag != "!!null" {
		// Enumerations such as direction: their own errors carry no line.
		if err := reflect.New(t).Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(node.Value)); err != nil {
			return lineError(node.Line, path, "%v", err)
		}
		return nil
	}
	if want, ok := wantKind(t); ok && node.Kind != want && !(node.Kind == yaml.ScalarNode && node.Tag == "!!null") {
		return lineError(node.Line, path, "want %s, got %s", kindName(want), kindName(node.Kind))
	}
	switch t.Kind() {
	case reflect.Struct:
		if node.Kind != yaml.MappingNode {
			return nil // a type with its own decoding of other shapes
		}
		fields, rest := structFields(t)
		for i := 0; i+1 < len(node.Content); i += 2 {
			key, val := node.Content[i], node.Content[i+1]
			if key.Value == "<<" {
				continue // merge key: checked through the alias
			}
			ft, ok := fields[key.Value]
			if !ok && rest != nil {
				// An inline map takes every other key (http_headers).
				ft, ok = rest.Elem(), true
			}
			if !ok {
				return lineError(key.Line, join(path, key.Value), "unknown field %q (known: %s)", key.Value, strings.Join(sortedKeys(fields), ", "))
			}
			if err := checkFields(val, ft, join(path, key.Value)); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if node.Kind != yaml.SequenceNode {
			return nil
		}
		for i, c := range node.Content {
			if err := checkFields(c, t.Elem(), fmt.Sprintf("%s[%s]", path, itemName(c, i))); err != nil {
				return err
			}
		}
	case reflect.Map:
		if node.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(node.Content); i += 2 {
			if err := checkFields(node.Content[i+1], t.Elem(), join(path, node.Content[i].Value)); err != nil {
				return err
			}
		}
	}
	return nil
}

var textUnmarshalerType = reflect.TypeOf((*encoding.TextUnmarshaler)(nil)).Elem()

// wantKind returns the YAML node kind that a Go type decodes from, for the
// types whose shape is fixed: structs and maps from mappings. Types with
// their own YAML decoding may take other shapes; lists are left to the
// decoders, whose messages say more (a command given as one string).
func wantKind(t reflect.Type) (yaml.Kind, bool) {
	if mappingTypes[t] {
		return yaml.MappingNode, true
	}
	if p := reflect.PointerTo(t); p.Implements(yamlUnmarshalerType) || p.Implements(obsoleteUnmarshalerType) {
		return 0, false
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		if reflect.PointerTo(t).Implements(textUnmarshalerType) {
			return 0, false
		}
		return yaml.MappingNode, true
	}
	return 0, false
}

// mappingTypes are the schema's own sections that decode themselves but
// only ever from a mapping; their shape is checked here so that a list or a
// value in their place is named with its field.
var mappingTypes = map[reflect.Type]bool{}

func init() {
	for _, v := range []any{Global{}, Scoring{}, Component{}, Threshold{}, Prediction{}, SpikeConfig{}, SpikeMetric{},
		LoadConfig{}, HysteresisConfig{}, SystemConfig{}, HTTPConfig{}, TCPConfig{}, FileConfig{}, ExecConfig{},
		PromQLConfig{}, RayConfig{}, JSONAssertion{}, HTTPClient{}, TLSConfig{}} {
		mappingTypes[reflect.TypeOf(v)] = true
	}
}

var (
	yamlUnmarshalerType     = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()
	obsoleteUnmarshalerType = reflect.TypeOf((*interface {
		UnmarshalYAML(func(any) error) error
	})(nil)).Elem()
)

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "a mapping (key: value)"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return "a single value"
	}
	return "something else"
}

// itemName names a list item by its `name` key when it has one, else by
// its index.
func itemName(n *yaml.Node, i int) string {
	if v := valueNode(n, "name"); v != nil && v.Kind == yaml.ScalarNode {
		return v.Value
	}
	return fmt.Sprint(i)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// structFields maps the YAML keys of a struct to their types, following
// `,inline` fields as yaml.v3 does; rest is the type of an inline map that
// takes every other key, if the struct has one.
func structFields(t reflect.Type) (fields map[string]reflect.Type, rest reflect.Type) {
	fields = map[string]reflect.Type{}
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
		if strings.Contains(opts, "inline") {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch ft.Kind() {
			case reflect.Struct:
				inner, innerRest := structFields(ft)
				for k, v := range inner {
					fields[k] = v
				}
				if innerRest != nil {
					rest = innerRest
				}
			case reflect.Map:
				rest = ft
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		fields[name] = f.Type
	}
	return fields, rest
}

func sortedKeys(m map[string]reflect.Type) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
