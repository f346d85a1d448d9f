// Package yamlfile reads the YAML (or JSON) files a person writes, the
// config and seed files, reporting every problem at once in the file's own
// words.
package yamlfile

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// Decode reads a YAML file (or JSON, which YAML reads too) into v,
// as far as it can.
// The returned problems are every unknown field and every value of the
// wrong type, each named by its path in the file and its line, in the
// file's own words rather than Go's; the caller adds its own checks, so a
// person fixes everything in one go. err is for a file that cannot be read
// or parsed at all. An empty file decodes as an empty value.
func Decode(what, path string, v any) (problems []string, err error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", what, err)
	}
	return DecodeBytes(what, path, raw, v)
}

// DecodeBytes is Decode of a document already read; name says where it
// came from in messages.
func DecodeBytes(what, path string, raw []byte, v any) (problems []string, err error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s %s: %v", what, path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	checkNode(doc.Content[0], reflect.TypeOf(v).Elem(), "", &problems)
	// Decode what can be, so the caller checks those parts too (yaml.v3
	// skips unknown fields and values of the wrong type).
	if err := doc.Content[0].Decode(v); err != nil && len(problems) == 0 {
		var te *yaml.TypeError
		if !errors.As(err, &te) {
			return nil, fmt.Errorf("%s %s: %v", what, path, err)
		}
		for _, e := range te.Errors {
			problems = append(problems, goTypeRE.ReplaceAllStringFunc(e, func(s string) string {
				return "want " + typeWords(goTypes[goTypeRE.FindStringSubmatch(s)[1]])
			}))
		}
	}
	return problems, nil
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

// goTypeRE finds Go type names in yaml.v3's messages ("into int").
var goTypeRE = regexp.MustCompile(`into (\S+)$`)

var goTypes = map[string]reflect.Type{"int": reflect.TypeOf(0), "float64": reflect.TypeOf(0.0), "bool": reflect.TypeOf(false), "string": reflect.TypeOf("")}

// typeWords says what a value of type t is written as.
func typeWords(t reflect.Type) string {
	if t == nil {
		return "another kind of value"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping (key: value)"
	}
	return "another kind of value"
}

func nodeWords(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	}
	return fmt.Sprintf("%q", n.Value)
}

func joinPath(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// checkNode compares a YAML node with the Go type it decodes into.
func checkNode(n *yaml.Node, t reflect.Type, path string, problems *[]string) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n.Kind == yaml.AliasNode || t.Kind() == reflect.Interface || n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return
	}
	where := func() string {
		if path == "" {
			return fmt.Sprintf("the file (line %d)", n.Line)
		}
		return fmt.Sprintf("%s (line %d)", path, n.Line)
	}
	wrong := func() {
		*problems = append(*problems, fmt.Sprintf("%s: want %s, not %s", where(), typeWords(t), nodeWords(n)))
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			*problems = append(*problems, fmt.Sprintf("%s: %v", where(), err))
		}
		return
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			wrong()
			return
		}
		fields := map[string]reflect.StructField{}
		var names []string
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if name == "-" || !f.IsExported() {
				continue
			}
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			fields[name] = f
			names = append(names, name)
		}
		sort.Strings(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				msg := fmt.Sprintf("%s (line %d): unknown field", joinPath(path, k.Value), k.Line)
				for _, name := range names {
					if strings.EqualFold(name, k.Value) {
						msg += "; did you mean " + name + "?"
					}
				}
				*problems = append(*problems, msg+" (known here: "+strings.Join(names, ", ")+")")
				continue
			}
			checkNode(val, f.Type, joinPath(path, k.Value), problems)
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			wrong()
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			checkNode(n.Content[i+1], t.Elem(), joinPath(path, n.Content[i].Value), problems)
		}
	case reflect.Slice, reflect.Array:
		if n.Kind != yaml.SequenceNode {
			wrong()
			return
		}
		for i, c := range n.Content {
			checkNode(c, t.Elem(), fmt.Sprintf("%s[%d]", path, i), problems)
		}
	default:
		if n.Kind != yaml.ScalarNode {
			wrong()
			return
		}
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			wrong()
		}
	}
}
