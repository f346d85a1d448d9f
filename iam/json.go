package iam

import (
	"encoding/json"
	"errors"
	"io"
	"strings"
)

// A small JSON tree built with encoding/json's streaming tokenizer, so that we
// can see what encoding/json hides when decoding into maps: duplicate keys,
// key order, the literal text of numbers. Nesting is bounded by maxDepth so a
// hostile document can neither blow the stack nor make us allocate a deep tree
// (policies never nest deeper than 4 levels).

type jkind uint8

const (
	jString jkind = iota
	jNumber
	jBool
	jNull
	jArray
	jObject
)

type jval struct {
	kind jkind
	str  string // jString: the text; jNumber: the literal; jBool: "true"/"false"
	arr  []*jval
	obj  []jfield // in document order, keys unique
	// start and end are the byte offsets of an object's '{' and just past
	// its '}' (objects only: statement positions for the simulator).
	start, end int
}

type jfield struct {
	key string
	val *jval
}

const maxDepth = 32

var (
	// errInvalidJSON: the text is not one JSON value.
	errInvalidJSON = errors.New("invalid json")
	// errStructure: valid JSON we refuse anyway (duplicate key, too deep).
	errStructure = errors.New("bad structure")
)

func parseJSON(doc string) (*jval, error) {
	dec := json.NewDecoder(strings.NewReader(doc))
	dec.UseNumber()
	v, err := readValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errInvalidJSON // trailing garbage or a second value
	}
	return v, nil
}

func readValue(dec *json.Decoder, depth int) (*jval, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, errInvalidJSON
	}
	switch t := tok.(type) {
	case string:
		return &jval{kind: jString, str: t}, nil
	case json.Number:
		return &jval{kind: jNumber, str: string(t)}, nil
	case bool:
		if t {
			return &jval{kind: jBool, str: "true"}, nil
		}
		return &jval{kind: jBool, str: "false"}, nil
	case nil:
		return &jval{kind: jNull}, nil
	case json.Delim:
		if depth >= maxDepth {
			return nil, errStructure
		}
		switch t {
		case '{':
			v := &jval{kind: jObject, start: int(dec.InputOffset()) - 1}
			var seen map[string]struct{} // only for large objects
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, errInvalidJSON
				}
				key, ok := kt.(string)
				if !ok {
					return nil, errInvalidJSON
				}
				if seen == nil && len(v.obj) >= 16 {
					seen = make(map[string]struct{}, 2*len(v.obj))
					for _, f := range v.obj {
						seen[f.key] = struct{}{}
					}
				}
				if seen != nil {
					if _, dup := seen[key]; dup {
						return nil, errStructure
					}
					seen[key] = struct{}{}
				} else {
					for _, f := range v.obj {
						if f.key == key {
							return nil, errStructure
						}
					}
				}
				val, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.obj = append(v.obj, jfield{key, val})
			}
			if end, err := dec.Token(); err != nil || end != json.Delim('}') {
				return nil, errInvalidJSON
			}
			v.end = int(dec.InputOffset())
			return v, nil
		case '[':
			v := &jval{kind: jArray}
			for dec.More() {
				val, err := readValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				v.arr = append(v.arr, val)
			}
			if end, err := dec.Token(); err != nil || end != json.Delim(']') {
				return nil, errInvalidJSON
			}
			return v, nil
		}
	}
	return nil, errInvalidJSON
}

// field returns the value of key in an object, or nil.
func (v *jval) field(key string) *jval {
	for _, f := range v.obj {
		if f.key == key {
			return f.val
		}
	}
	return nil
}

// scalarText is the string form of a string, number or boolean.
func (v *jval) scalarText() (string, bool) {
	switch v.kind {
	case jString, jNumber, jBool:
		return v.str, true
	}
	return "", false
}
