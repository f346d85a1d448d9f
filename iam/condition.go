package iam

import (
	"cmp"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

type opKind uint8

const (
	opStrEq opKind = iota
	opStrEqIC
	opStrLike
	opNumEq
	opNumLt
	opNumLe
	opNumGt
	opNumGe
	opDateEq
	opDateLt
	opDateLe
	opDateGt
	opDateGe
	opBool
	opBinary
	opIP
	opArn
	opNull
)

type setKind uint8

const (
	setNone setKind = iota
	setAny          // ForAnyValue:
	setAll          // ForAllValues:
)

type baseOp struct {
	op  opKind
	neg bool
}

// The condition operators AWS defines. Negated operators are their positive
// twin with neg set: with several policy values they are a NOR.
var baseOps = map[string]baseOp{
	"StringEquals":              {opStrEq, false},
	"StringNotEquals":           {opStrEq, true},
	"StringEqualsIgnoreCase":    {opStrEqIC, false},
	"StringNotEqualsIgnoreCase": {opStrEqIC, true},
	"StringLike":                {opStrLike, false},
	"StringNotLike":             {opStrLike, true},
	"NumericEquals":             {opNumEq, false},
	"NumericNotEquals":          {opNumEq, true},
	"NumericLessThan":           {opNumLt, false},
	"NumericLessThanEquals":     {opNumLe, false},
	"NumericGreaterThan":        {opNumGt, false},
	"NumericGreaterThanEquals":  {opNumGe, false},
	"DateEquals":                {opDateEq, false},
	"DateNotEquals":             {opDateEq, true},
	"DateLessThan":              {opDateLt, false},
	"DateLessThanEquals":        {opDateLe, false},
	"DateGreaterThan":           {opDateGt, false},
	"DateGreaterThanEquals":     {opDateGe, false},
	"Bool":                      {opBool, false},
	"BinaryEquals":              {opBinary, false},
	"IpAddress":                 {opIP, false},
	"NotIpAddress":              {opIP, true},
	"ArnEquals":                 {opArn, false},
	"ArnLike":                   {opArn, false},
	"ArnNotEquals":              {opArn, true},
	"ArnNotLike":                {opArn, true},
	"Null":                      {opNull, false},
}

type opSpec struct {
	baseOp
	set      setKind
	ifExists bool
}

// parseOperator splits "ForAnyValue:StringLikeIfExists" and friends. Null
// takes neither a set prefix nor IfExists (decision: they have no meaning).
func parseOperator(name string) (opSpec, bool) {
	var s opSpec
	switch {
	case strings.HasPrefix(name, "ForAnyValue:"):
		s.set, name = setAny, name[len("ForAnyValue:"):]
	case strings.HasPrefix(name, "ForAllValues:"):
		s.set, name = setAll, name[len("ForAllValues:"):]
	}
	if b, ok := baseOps[name]; ok {
		s.baseOp = b
	} else if t, found := strings.CutSuffix(name, "IfExists"); found {
		b, ok := baseOps[t]
		if !ok {
			return s, false
		}
		s.baseOp, s.ifExists = b, true
	} else {
		return s, false
	}
	if s.op == opNull && (s.ifExists || s.set != setNone) {
		return s, false
	}
	return s, true
}

// substitutes reports whether policy variables are expanded in the values of
// this operator: only the string and ARN operators (AWS documentation).
func (o opKind) substitutes() bool {
	return o == opStrEq || o == opStrEqIC || o == opStrLike || o == opArn
}

type condition struct {
	opSpec
	key      string
	keyLower string
	vals     []condVal
}

type condVal struct {
	raw string
	pat pattern // string and ARN operators
	num float64
	t   time.Time
	pfx netip.Prefix
}

// compileCondValue prepares one policy value; false when the literal is not
// valid for the operator (number, date, IP address).
func compileCondValue(op opKind, raw string, vars bool) (condVal, bool) {
	v := condVal{raw: raw}
	switch op {
	case opStrEq, opStrEqIC:
		v.pat = compilePattern(raw, false, vars, 0, false)
	case opStrLike, opArn:
		v.pat = compilePattern(raw, true, vars, 0, false)
	case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
		f, ok := parseNumber(raw)
		if !ok {
			return v, false
		}
		v.num = f
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		t, ok := parseTime(raw)
		if !ok {
			return v, false
		}
		v.t = t
	case opIP:
		p, ok := parseIPPrefix(raw)
		if !ok {
			return v, false
		}
		v.pfx = p
	}
	return v, true
}

// eval decides one (operator, key) pair of a Condition block.
func (c *condition) eval(ctx keys) bool {
	vals, present := lookup(ctx, c.key, c.keyLower)
	if c.op == opNull {
		for i := range c.vals {
			switch {
			case strings.EqualFold(c.vals[i].raw, "true"):
				if !present {
					return true
				}
			case strings.EqualFold(c.vals[i].raw, "false"):
				if present {
					return true
				}
			}
		}
		return false
	}
	if !present {
		switch {
		case c.ifExists:
			return true
		case c.set == setAny:
			return false
		case c.set == setAll:
			return true
		}
		// AWS: an absent key does not match, so a negated operator is true.
		return c.neg
	}
	switch c.set {
	case setAll:
		for _, v := range vals {
			if c.matchAny(ctx, v) == c.neg {
				return false
			}
		}
		return true
	case setAny:
		for _, v := range vals {
			if c.matchAny(ctx, v) != c.neg {
				return true
			}
		}
		return false
	}
	for _, v := range vals {
		if c.matchAny(ctx, v) {
			return !c.neg
		}
	}
	return c.neg
}

// matchAny: does the request value s match any of the policy values
// (positive form of the operator)?
func (c *condition) matchAny(ctx keys, s string) bool {
	switch c.op {
	case opNumEq, opNumLt, opNumLe, opNumGt, opNumGe:
		f, ok := parseNumber(s)
		if !ok {
			return false
		}
		for i := range c.vals {
			if cmpMatch(c.op-opNumEq, cmp.Compare(f, c.vals[i].num)) {
				return true
			}
		}
		return false
	case opDateEq, opDateLt, opDateLe, opDateGt, opDateGe:
		t, ok := parseTime(s)
		if !ok {
			return false
		}
		for i := range c.vals {
			if cmpMatch(c.op-opDateEq, t.Compare(c.vals[i].t)) {
				return true
			}
		}
		return false
	case opIP:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return false
		}
		a = a.Unmap().WithZone("")
		for i := range c.vals {
			if c.vals[i].pfx.Contains(a) {
				return true
			}
		}
		return false
	}
	for i := range c.vals {
		if c.matchOne(ctx, s, &c.vals[i]) {
			return true
		}
	}
	return false
}

func (c *condition) matchOne(ctx keys, s string, v *condVal) bool {
	switch c.op {
	case opStrEq:
		want, ok := v.pat.resolveString(ctx)
		return ok && s == want
	case opStrEqIC:
		want, ok := v.pat.resolveString(ctx)
		return ok && strings.EqualFold(s, want)
	case opStrLike:
		return v.pat.match(ctx, s, false)
	case opArn:
		var buf [16]unit
		units, ok := v.pat.resolve(ctx, buf[:0])
		return ok && arnMatch(units, s)
	case opBool:
		return strings.EqualFold(s, v.raw)
	case opBinary:
		return s == v.raw
	}
	return false
}

// cmpMatch: rel is 0 eq, 1 lt, 2 le, 3 gt, 4 ge; c is the sign of
// (request value - policy value).
func cmpMatch(rel opKind, c int) bool {
	switch rel {
	case 0:
		return c == 0
	case 1:
		return c < 0
	case 2:
		return c <= 0
	case 3:
		return c > 0
	case 4:
		return c >= 0
	}
	return false
}

// parseNumber refuses NaN and infinities, so comparisons are total.
func parseNumber(s string) (float64, bool) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, false
	}
	return f, true
}

var timeLayouts = []string{
	time.RFC3339Nano, // also accepts no fraction, and "Z"
	"2006-01-02T15:04:05.999999999Z0700",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02T15:04Z07:00",
	"2006-01-02T15:04",
	"2006-01-02",
}

// parseTime accepts the ISO 8601 forms AWS documents for Date operators and
// epoch seconds (aws:EpochTime).
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	digits := true
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			digits = false
			break
		}
	}
	if digits {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n > 1<<40 { // beyond year 36000: refuse
			return time.Time{}, false
		}
		return time.Unix(n, 0).UTC(), true
	}
	u := strings.ToUpper(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, u); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func parseIPPrefix(s string) (netip.Prefix, bool) {
	s = strings.TrimSpace(s)
	if strings.IndexByte(s, '/') >= 0 {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, false
		}
		a := p.Addr()
		if a.Is4In6() {
			bits := p.Bits() - 96
			if bits < 0 {
				return netip.Prefix{}, false
			}
			p = netip.PrefixFrom(a.Unmap(), bits)
		}
		return p.Masked(), true
	}
	a, err := netip.ParseAddr(s)
	if err != nil || a.Zone() != "" {
		return netip.Prefix{}, false
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), true
}
