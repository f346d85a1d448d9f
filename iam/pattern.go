package iam

import (
	"strings"
	"unicode/utf8"
)

// A pattern is precompiled at parse time into units: literal runs, the two
// wildcards, and policy-variable references. At evaluation time variables are
// resolved into literal units (so a '*' that comes from a variable's value is
// a plain character, never a wildcard) and the units are matched with an
// iterative glob matcher.

type unitKind uint8

const (
	uLit   unitKind = iota // s is matched literally
	uStar                  // any run of characters, including none
	uQuest                 // exactly one character
	uVar                   // policy variable: s is the lower-cased key
)

type unit struct {
	kind   unitKind
	hasDef bool
	s      string
	def    string // default value of a variable, when hasDef
}

type pattern struct {
	units  []unit
	hasVar bool
	lit    string // when !hasVar and there are no wildcards: the whole literal
}

// compilePattern compiles raw. wildcards: '*' and '?' are wildcards (else
// literal). vars: "${...}" at byte offset >= varFrom is a policy variable.
// lower: literal text is ASCII-lower-cased (for case-insensitive matching).
func compilePattern(raw string, wildcards, vars bool, varFrom int, lower bool) pattern {
	var p pattern
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			p.units = append(p.units, unit{kind: uLit, s: b.String()})
			b.Reset()
		}
	}
	lit := func(s string) {
		if lower {
			s = asciiLower(s)
		}
		b.WriteString(s)
	}
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case vars && c == '$' && i >= varFrom && i+1 < len(raw) && raw[i+1] == '{':
			u, n, ok := parseVar(raw[i:])
			if !ok {
				lit("$")
				i++
				continue
			}
			i += n
			if u.kind == uLit { // ${*} ${?} ${$}: a literal character
				b.WriteString(u.s)
				continue
			}
			flush()
			p.units = append(p.units, u)
			p.hasVar = true
		case wildcards && c == '*':
			flush()
			if k := len(p.units); k == 0 || p.units[k-1].kind != uStar {
				p.units = append(p.units, unit{kind: uStar})
			}
			i++
		case wildcards && c == '?':
			flush()
			p.units = append(p.units, unit{kind: uQuest})
			i++
		default:
			j := i + 1
			for j < len(raw) && raw[j] != '$' && raw[j] != '*' && raw[j] != '?' {
				j++
			}
			lit(raw[i:j])
			i = j
		}
	}
	flush()
	if !p.hasVar {
		switch {
		case len(p.units) == 0:
			p.lit = ""
		case len(p.units) == 1 && p.units[0].kind == uLit:
			p.lit = p.units[0].s
		}
	}
	return p
}

// parseVar parses "${key}" or "${key, 'default'}" at the start of s. It
// returns the unit (uLit for the escapes ${*}, ${?}, ${$}), the number of
// bytes consumed, and false when s does not start with a well-formed variable
// (the text is then literal).
func parseVar(s string) (unit, int, bool) {
	i := 2 // past "${"
	skip := func() {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
	}
	skip()
	start := i
	for i < len(s) && s[i] != ',' && s[i] != '}' && s[i] != '{' && s[i] != '$' && s[i] != '\'' {
		i++
	}
	key := strings.TrimRight(s[start:i], " \t")
	if key == "" || i >= len(s) {
		if i < len(s) && s[i] == '$' && key == "" && i+1 < len(s) && s[i+1] == '}' {
			return unit{kind: uLit, s: "$"}, i + 2, true // ${$}
		}
		return unit{}, 0, false
	}
	u := unit{kind: uVar, s: strings.ToLower(key)}
	if s[i] == ',' {
		i++
		skip()
		if i >= len(s) || s[i] != '\'' {
			return unit{}, 0, false
		}
		i++
		end := strings.IndexByte(s[i:], '\'')
		if end < 0 {
			return unit{}, 0, false
		}
		u.def, u.hasDef = s[i:i+end], true
		i += end + 1
		skip()
	}
	if i >= len(s) || s[i] != '}' {
		return unit{}, 0, false
	}
	i++
	if !u.hasDef {
		switch key {
		case "*", "?":
			return unit{kind: uLit, s: key}, i, true
		}
	}
	return u, i, true
}

// resolve returns the units with every variable replaced by a literal unit,
// appending into buf when there are variables. ok is false when a variable
// has no value (absent, or multi-valued) and no default.
func (p *pattern) resolve(ctx keys, buf []unit) ([]unit, bool) {
	if !p.hasVar {
		return p.units, true
	}
	out := buf[:0]
	for _, u := range p.units {
		if u.kind != uVar {
			out = append(out, u)
			continue
		}
		v, ok := lookupVar(ctx, u.s)
		if !ok {
			if !u.hasDef {
				return nil, false
			}
			v = u.def
		}
		out = append(out, unit{kind: uLit, s: v})
	}
	return out, true
}

// resolveString is resolve for patterns without wildcards: the literal text.
func (p *pattern) resolveString(ctx keys) (string, bool) {
	if !p.hasVar {
		if p.lit != "" || len(p.units) == 0 {
			return p.lit, true
		}
		var b strings.Builder
		for _, u := range p.units {
			b.WriteString(u.s)
		}
		return b.String(), true
	}
	var b strings.Builder
	for _, u := range p.units {
		s := u.s
		if u.kind == uVar {
			v, ok := lookupVar(ctx, u.s)
			if !ok {
				if !u.hasDef {
					return "", false
				}
				v = u.def
			}
			s = v
		}
		b.WriteString(s)
	}
	return b.String(), true
}

// match reports whether s matches the pattern (wildcards active) after
// variable resolution. fold: ASCII case-insensitive (literals must have been
// compiled lower-cased).
func (p *pattern) match(ctx keys, s string, fold bool) bool {
	var buf [16]unit
	units, ok := p.resolve(ctx, buf[:0])
	if !ok {
		return false
	}
	return globMatch(units, s, fold)
}

// globMatch is the classic iterative wildcard matcher: on a mismatch it only
// ever backtracks to the most recent '*', which is enough for patterns made
// of '*', '?' and literals. Worst case O(len(s) * len(pattern)); never
// exponential, never recursive.
func globMatch(units []unit, s string, fold bool) bool {
	p, i := 0, 0
	starP, starI := -1, 0
	for {
		if p < len(units) {
			u := &units[p]
			switch u.kind {
			case uStar:
				if p == len(units)-1 {
					return true
				}
				starP, starI = p, i
				p++
				continue
			case uQuest:
				if i < len(s) {
					_, n := utf8.DecodeRuneInString(s[i:])
					i += n
					p++
					continue
				}
			case uLit:
				if hasPrefix(s[i:], u.s, fold) {
					i += len(u.s)
					p++
					continue
				}
			}
		} else if i == len(s) {
			return true
		}
		if starP < 0 || starI >= len(s) {
			return false
		}
		_, n := utf8.DecodeRuneInString(s[starI:])
		starI += n
		i, p = starI, starP+1
	}
}

func hasPrefix(s, lit string, fold bool) bool {
	if len(s) < len(lit) {
		return false
	}
	if !fold {
		return s[:len(lit)] == lit
	}
	for j := 0; j < len(lit); j++ {
		c := s[j]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lit[j] {
			return false
		}
	}
	return true
}

// arnMatch matches an ARN the way the Arn* condition operators do: the six
// colon-separated components are compared separately (wildcards never cross
// the first five colons; the sixth component is the rest of the string).
// Units must be resolved (no uVar).
func arnMatch(units []unit, s string) bool {
	var parts [6]string
	rest := s
	for k := 0; k < 5; k++ {
		i := strings.IndexByte(rest, ':')
		if i < 0 {
			return false
		}
		parts[k], rest = rest[:i], rest[i+1:]
	}
	parts[5] = rest

	var buf [16]unit
	seg := buf[:0]
	k := 0
	for _, u := range units {
		if u.kind != uLit || k == 5 {
			seg = append(seg, u)
			continue
		}
		lit := u.s
		for k < 5 {
			i := strings.IndexByte(lit, ':')
			if i < 0 {
				break
			}
			if i > 0 {
				seg = append(seg, unit{kind: uLit, s: lit[:i]})
			}
			if !globMatch(seg, parts[k], false) {
				return false
			}
			seg = seg[:0]
			k++
			lit = lit[i+1:]
		}
		if lit != "" {
			seg = append(seg, unit{kind: uLit, s: lit})
		}
	}
	if k != 5 {
		return false
	}
	return globMatch(seg, parts[5], false)
}

// lookup finds a context key case-insensitively without allocating: first
// the lower-cased spelling, then the policy's spelling, then a scan.
func lookup(ctx keys, key, keyLower string) ([]string, bool) {
	// As if the two maps were one, with a key of the request's own
	// winning: the exact spellings in both first, then any spelling.
	layers := [2]map[string][]string{ctx.own, ctx.principal}
	for _, m := range layers {
		if v, ok := m[keyLower]; ok {
			return v, len(v) > 0
		}
	}
	if key != keyLower {
		for _, m := range layers {
			if v, ok := m[key]; ok {
				return v, len(v) > 0
			}
		}
	}
	for _, m := range layers {
		for k, v := range m {
			if strings.EqualFold(k, key) {
				return v, len(v) > 0
			}
		}
	}
	return nil, false
}

// keys are a request's condition keys: its own (Request.Context) over the
// principal's (Request.PrincipalContext).
type keys struct{ own, principal map[string][]string }

func (r *Request) keys() keys { return keys{r.Context, r.PrincipalContext} }

// lookupVar resolves a policy variable: the key must have exactly one value.
func lookupVar(ctx keys, keyLower string) (string, bool) {
	v, ok := lookup(ctx, keyLower, keyLower)
	if !ok || len(v) != 1 {
		return "", false
	}
	return v[0], true
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
