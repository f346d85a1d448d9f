// Package strictjson decodes request bodies so that no two parsers could
// disagree about what was asked: beyond encoding/json it refuses invalid
// UTF-8, duplicate object keys, member names that match a field only when
// case is ignored, nesting deeper than MaxDepth, and trailing data.
package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds nesting so a hostile body cannot make decoding deep.
const MaxDepth = 32

// Error says why a body was refused; Message is fit for the client.
type Error struct{ Message string }

func (e *Error) Error() string { return e.Message }

// Decode decodes a JSON object body into v (a pointer to a struct). Unknown
// members are ignored, as AWS services do; a member whose name matches a
// field only when case is ignored is refused, since encoding/json would
// take it for that field and AWS would not. An empty body decodes as {}.
func Decode(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return serializationErr("Request body is not valid UTF-8.")
	}
	if err := checkJSONShape(body); err != nil {
		return err
	}
	if err := checkMemberCase(body, reflect.TypeOf(v)); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			field := te.Field
			if field == "" {
				field = "body"
			}
			return serializationErr(fmt.Sprintf("Unexpected value type for '%s': expected %s, got %s.", field, jsonTypeName(te.Type.Kind().String()), te.Value))
		}
		return serializationErr("Request body is not valid JSON.")
	}
	return nil
}

func jsonTypeName(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "int", "int64", "int32", "float64":
		return "number"
	case "slice":
		return "list"
	case "map", "struct", "ptr":
		return "structure"
	}
	return kind
}

// checkJSONShape walks the token stream once: one top-level object, no
// duplicate keys, bounded depth, nothing after the value.
func checkJSONShape(body []byte) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	type frame struct {
		object bool
		keys   map[string]struct{}
		expect bool // in an object: next token is a key
	}
	var stack []*frame
	first := true
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return serializationErr("Request body is not valid JSON.")
		}
		if first {
			if d, ok := tok.(json.Delim); !ok || d != '{' {
				return serializationErr("Request body must be a JSON object.")
			}
		} else if len(stack) == 0 {
			return serializationErr("Request body has data after the JSON object.")
		}
		first = false
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if top != nil && top.object && top.expect {
			if d, ok := tok.(json.Delim); ok && d == '}' {
				stack = stack[:len(stack)-1]
				continue
			}
			key, _ := tok.(string)
			if _, dup := top.keys[key]; dup {
				return serializationErr(fmt.Sprintf("Duplicate member '%s' in request body.", key))
			}
			top.keys[key] = struct{}{}
			top.expect = false
			continue
		}
		if top != nil && top.object {
			top.expect = true
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				if len(stack) >= MaxDepth {
					return serializationErr("Request body is nested too deeply.")
				}
				stack = append(stack, &frame{object: d == '{', keys: map[string]struct{}{}, expect: d == '{'})
			case ']':
				stack = stack[:len(stack)-1]
			}
		}
	}
	return nil
}

func serializationErr(msg string) error { return &Error{Message: msg} }

// checkMemberCase walks the JSON along the Go type it decodes into and
// refuses object members that name a struct field in another case.
func checkMemberCase(data []byte, t reflect.Type) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) != nil {
			return nil // not an object: encoding/json reports the type error
		}
		for key, raw := range obj {
			f, exact := fieldFor(t, key)
			if f == nil {
				continue // unknown member: ignored
			}
			if !exact {
				return serializationErr(fmt.Sprintf("Unknown member '%s' (member names are case-sensitive; did you mean '%s'?).", key, jsonName(*f)))
			}
			if err := checkMemberCase(raw, f.Type); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		var arr []json.RawMessage
		if json.Unmarshal(data, &arr) == nil {
			for _, raw := range arr {
				if err := checkMemberCase(raw, t.Elem()); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		var obj map[string]json.RawMessage
		if json.Unmarshal(data, &obj) == nil {
			for _, raw := range obj {
				if err := checkMemberCase(raw, t.Elem()); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fieldFor finds the field a JSON member decodes into, and whether the
// name matched exactly.
func fieldFor(t reflect.Type, key string) (*reflect.StructField, bool) {
	var folded *reflect.StructField
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Tag.Get("json") == "-" {
			continue
		}
		name := jsonName(f)
		if name == key {
			return &f, true
		}
		if folded == nil && strings.EqualFold(name, key) {
			folded = &f
		}
	}
	return folded, false
}

func jsonName(f reflect.StructField) string {
	if name, _, _ := strings.Cut(f.Tag.Get("json"), ","); name != "" {
		return name
	}
	return f.Name
}
