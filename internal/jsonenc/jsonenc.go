// Package jsonenc appends JSON values by hand for hot paths, spelling them
// exactly as encoding/json does.
package jsonenc

import (
	"encoding/json"
	"strconv"
	"time"
)

// AppendString appends s as a JSON string, escaped as encoding/json
// escapes it (quotes, backslashes, control characters, and <, >, & for
// HTML safety; non-ASCII text goes through encoding/json itself).
func AppendString(b []byte, s string) []byte {
	clean := true
	for i := 0; i < len(s); i++ {
		if k := plain[s[i]]; k != asIs {
			if k == nonASCII {
				q, _ := json.Marshal(s)
				return append(b, q...)
			}
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

// The classes of bytes in a JSON string, by table (one load per byte: this
// runs over every token the server hands out).
const (
	asIs        = 0
	needsEscape = 1
	nonASCII    = 2
)

var plain = func() (t [256]byte) {
	for c := range t {
		switch {
		case c >= 0x80:
			t[c] = nonASCII
		case c < 0x20 || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&':
			t[c] = needsEscape
		}
	}
	return t
}()

// Epoch is a timestamp as restJson1 sends it in bodies: a JSON number of
// seconds since the epoch, with milliseconds as the fraction (none for a
// whole second). Every JSON body of the server (the AWS API and the token
// endpoints) encodes times with it.
type Epoch time.Time

// MarshalJSON implements json.Marshaler.
func (t Epoch) MarshalJSON() ([]byte, error) { return AppendEpoch(nil, time.Time(t)), nil }

// AppendEpoch appends t as an Epoch.
func AppendEpoch(b []byte, t time.Time) []byte {
	ms := t.UnixMilli()
	b = strconv.AppendInt(b, ms/1000, 10)
	if frac := ms % 1000; frac != 0 {
		frac = max(frac, -frac) // no time the server sends is before 1970
		f := strconv.AppendInt(nil, 1000+frac, 10)[1:]
		for f[len(f)-1] == '0' {
			f = f[:len(f)-1]
		}
		b = append(b, '.')
		b = append(b, f...)
	}
	return b
}
