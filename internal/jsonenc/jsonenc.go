// Package jsonenc appends JSON values by hand for hot paths, spelling them
// exactly as encoding/json does.
package jsonenc

import "encoding/json"

// AppendString appends s as a JSON string, escaped as encoding/json
// escapes it (quotes, backslashes, control characters, and <, >, & for
// HTML safety; non-ASCII text goes through encoding/json itself).
func AppendString(b []byte, s string) []byte {
	clean := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
		if c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			clean = false
		}
	}
	b = append(b, '"')
	if clean { // the common case: tokens, ids, ARNs, URLs
		b = append(b, s...)
		return append(b, '"')
	}
	const hex = "0123456789abcdef"
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c == '\n':
			b = append(b, '\\', 'n')
		case c == '\r':
			b = append(b, '\\', 'r')
		case c == '\t':
			b = append(b, '\\', 't')
		case c == '\b':
			b = append(b, '\\', 'b')
		case c == '\f':
			b = append(b, '\\', 'f')
		case c < 0x20 || c == '<' || c == '>' || c == '&':
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
