package awsapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"

	"connectfed"
)

// maxJSONDepth bounds nesting so a hostile body cannot make decoding deep.
const maxJSONDepth = 32

// decodeJSON decodes a restJson1 request body into v. Beyond what
// encoding/json checks it refuses invalid UTF-8, duplicate object keys,
// nesting deeper than maxJSONDepth and trailing data, because each of those
// can make two parsers disagree about what was asked. Unknown members are
// ignored, as AWS services do. An empty body decodes as {}.
func decodeJSON(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return serializationErr("Request body is not valid UTF-8.")
	}
	if err := checkJSONShape(body); err != nil {
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
				if len(stack) >= maxJSONDepth {
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

func serializationErr(msg string) error {
	return &connectfed.Error{Code: connectfed.EINVALID, Type: "SerializationException", Message: msg}
}
