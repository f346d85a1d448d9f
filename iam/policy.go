package iam

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxPolicySize is AWS's quota for a role's inline policies: 10,240
// characters, not counting white space (2,048 for a user). This package does
// not enforce it; the IAM handlers do, since the limit depends on the entity.
const MaxPolicySize = 10240

// maxDocumentBytes is the longest document accepted at all (the length limit
// of the PolicyDocument parameters in the IAM API model).
const maxDocumentBytes = 131072

// MalformedPolicyError is returned by the parsers. Message is AWS's text for
// the problem, for a MalformedPolicyDocument error response.
type MalformedPolicyError struct {
	Message string
}

func (e *MalformedPolicyError) Error() string { return e.Message }

// Policy is a parsed, validated and precompiled policy document. It is
// immutable, so one Policy may be evaluated by many goroutines at once.
type Policy struct {
	// Document is the text exactly as it was submitted.
	Document string
	// Version is the document's Version element: "2012-10-17",
	// "2008-10-17", or "" when absent. Policy variables are substituted only
	// under 2012-10-17.
	Version string

	trust bool
	stmts []statement
}

type statement struct {
	deny       bool
	sid        string
	start, end int // byte offsets in Policy.Document

	notAction bool
	actions   []pattern // lower-cased, for ASCII case-insensitive matching

	hasResource bool // true in identity policies, false in trust policies
	notResource bool
	resources   []pattern

	hasPrincipal bool // always false in identity policies
	notPrincipal bool
	principals   principalSet

	conds []condition
}

const (
	msgSyntax             = "Syntax errors in policy."
	msgInvalidJSON        = "This policy contains invalid Json"
	msgLegacy             = "The policy failed legacy parsing"
	msgPrincipalForbidden = "Policy document should not specify a principal."
	msgPrincipalMissing   = "Missing required field Principal"
	msgNoPrincipals       = "Invalid principal in policy: com.amazon.balsa.error.InvalidPolicyException: The passed in policy has a statement with no principals!"
	msgActions            = "Policy statement must contain actions."
	msgResources          = "Policy statement must contain resources."
	msgVendor             = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
	msgOneColon           = "Actions/Condition can contain only one colon."
	msgSidAlnum           = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*"
	msgSidUnique          = "Statement IDs (SID) in a single policy must be unique."
	msgResourceVendor     = "Resource vendor must be fully qualified and cannot contain regexes."
)

func malformed(msg string) error { return &MalformedPolicyError{Message: msg} }

// ParseIdentityPolicy parses a user or role inline (permissions) policy. It
// must not name a principal, and every statement needs Action or NotAction
// and Resource or NotResource.
func ParseIdentityPolicy(doc string) (*Policy, error) { return parse(doc, false) }

// ParseTrustPolicy parses a role's trust policy (the resource policy of the
// role, checked by sts:AssumeRole). Every statement needs Principal or
// NotPrincipal and Action or NotAction, and must not have Resource or
// NotResource (the role is the resource).
func ParseTrustPolicy(doc string) (*Policy, error) { return parse(doc, true) }

type rawStmt struct {
	start, end   int // byte offsets of the statement object in the document
	sid          string
	effect       string
	actionKey    string // "Action", "NotAction" or ""
	actions      []string
	resourceKey  string // "Resource", "NotResource" or ""
	resources    []string
	principalKey string // "Principal", "NotPrincipal" or ""
	principal    *jval
	conds        []rawCond
}

type rawCond struct {
	spec opSpec
	key  string
	vals []string
}

var (
	topKeys  = []string{"Version", "Id", "Statement"}
	stmtKeys = []string{"Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Resource", "NotResource", "Condition"}
)

func parse(doc string, trust bool) (*Policy, error) {
	if len(doc) > maxDocumentBytes || !utf8.ValidString(doc) {
		return nil, malformed(msgSyntax)
	}
	root, err := parseJSON(doc)
	if err != nil {
		if err == errInvalidJSON && trust {
			return nil, malformed(msgInvalidJSON)
		}
		return nil, malformed(msgSyntax)
	}

	// 1. Syntax: shape and types of every element.
	version, raws, ok := checkSyntax(root)
	if !ok {
		return nil, malformed(msgSyntax)
	}
	vars := version == "2012-10-17"
	p := &Policy{Document: doc, Version: version, trust: trust, stmts: make([]statement, len(raws))}

	// 2. "Legacy parsing": exact Effect, condition literals, resource ARNs.
	resourceErr := ""
	for i := range raws {
		r, st := &raws[i], &p.stmts[i]
		st.sid, st.start, st.end = r.sid, r.start, r.end
		switch r.effect {
		case "Allow":
		case "Deny":
			st.deny = true
		default: // "allow", "DENY": AWS says legacy parsing, not syntax
			return nil, malformed(msgLegacy)
		}
		for _, rc := range r.conds {
			c := condition{opSpec: rc.spec, key: rc.key, keyLower: strings.ToLower(rc.key)}
			subst := vars && rc.spec.op.substitutes()
			for _, v := range rc.vals {
				cv, ok := compileCondValue(rc.spec.op, v, subst)
				if !ok {
					return nil, malformed(msgLegacy)
				}
				c.vals = append(c.vals, cv)
			}
			st.conds = append(st.conds, c)
		}
		for _, res := range r.resources {
			if e := resourceFormatError(res); e != "" && resourceErr == "" {
				resourceErr = e
			}
		}
		if resourceErr == "" {
			for _, res := range r.resources {
				if !resourceLegacyOK(res) {
					return nil, malformed(msgLegacy)
				}
			}
		}
	}

	// 3. Principals.
	for i := range raws {
		r, st := &raws[i], &p.stmts[i]
		if !trust {
			if r.principalKey != "" {
				return nil, malformed(msgPrincipalForbidden)
			}
			continue
		}
		if r.principalKey == "" {
			return nil, malformed(msgPrincipalMissing)
		}
		if r.resourceKey != "" { // AWS: "Has prohibited field Resource"
			return nil, malformed("Has prohibited field " + r.resourceKey)
		}
		ps, msg := compilePrincipal(r.principal)
		if msg != "" {
			return nil, malformed(msg)
		}
		st.hasPrincipal, st.notPrincipal, st.principals = true, r.principalKey == "NotPrincipal", ps
	}

	// 4. Statement ids.
	seen := map[string]bool{}
	for i := range raws {
		sid := raws[i].sid
		if sid == "" {
			continue
		}
		if !isAlnum(sid) {
			return nil, malformed(msgSidAlnum)
		}
		if seen[sid] {
			return nil, malformed(msgSidUnique)
		}
		seen[sid] = true
	}

	// 5. Every statement needs actions; 6. and resources (identity).
	for i := range raws {
		if len(raws[i].actions) == 0 {
			return nil, malformed(msgActions)
		}
	}
	if !trust {
		for i := range raws {
			if len(raws[i].resources) == 0 {
				return nil, malformed(msgResources)
			}
		}
	}
	if resourceErr != "" {
		return nil, malformed(resourceErr)
	}

	// 7. Action names.
	for i := range raws {
		for _, a := range raws[i].actions {
			if e := actionError(a); e != "" {
				return nil, malformed(e)
			}
		}
	}

	// Compile actions and resources.
	for i := range raws {
		r, st := &raws[i], &p.stmts[i]
		st.notAction = r.actionKey == "NotAction"
		for _, a := range r.actions {
			st.actions = append(st.actions, compilePattern(a, true, false, 0, true))
		}
		if r.resourceKey != "" {
			st.hasResource, st.notResource = true, r.resourceKey == "NotResource"
			for _, res := range r.resources {
				// Variables are allowed only in the resource part of the
				// ARN, after the fifth colon (AWS documentation).
				st.resources = append(st.resources, compilePattern(res, true, vars, resourcePartOffset(res), false))
			}
		}
	}
	return p, nil
}

// checkSyntax validates the shape of the document and extracts statements.
func checkSyntax(root *jval) (version string, out []rawStmt, ok bool) {
	if root.kind != jObject || !onlyKeys(root, topKeys) {
		return "", nil, false
	}
	if v := root.field("Version"); v != nil {
		if v.kind != jString || (v.str != "2012-10-17" && v.str != "2008-10-17") {
			return "", nil, false
		}
		version = v.str
	}
	if v := root.field("Id"); v != nil && v.kind != jString {
		return "", nil, false
	}
	sv := root.field("Statement")
	var list []*jval
	switch {
	case sv == nil:
		return "", nil, false
	case sv.kind == jObject:
		list = []*jval{sv}
	case sv.kind == jArray && len(sv.arr) > 0:
		list = sv.arr
	default:
		return "", nil, false
	}
	out = make([]rawStmt, 0, len(list))
	for _, s := range list {
		r, ok := statementSyntax(s)
		if !ok {
			return "", nil, false
		}
		out = append(out, r)
	}
	return version, out, true
}

func statementSyntax(s *jval) (rawStmt, bool) {
	var r rawStmt
	if s.kind != jObject || !onlyKeys(s, stmtKeys) {
		return r, false
	}
	r.start, r.end = s.start, s.end
	if v := s.field("Sid"); v != nil {
		if v.kind != jString {
			return r, false
		}
		r.sid = v.str
	}
	e := s.field("Effect")
	if e == nil || e.kind != jString {
		return r, false
	}
	if l := strings.ToLower(e.str); l != "allow" && l != "deny" {
		return r, false
	}
	r.effect = e.str

	var ok bool
	if r.actionKey, r.actions, ok = exclusiveList(s, "Action", "NotAction"); !ok {
		return r, false
	}
	if r.resourceKey, r.resources, ok = exclusiveList(s, "Resource", "NotResource"); !ok {
		return r, false
	}

	pv, npv := s.field("Principal"), s.field("NotPrincipal")
	switch {
	case pv != nil && npv != nil:
		return r, false
	case pv != nil:
		r.principalKey, r.principal = "Principal", pv
	case npv != nil:
		r.principalKey, r.principal = "NotPrincipal", npv
	}
	if r.principal != nil {
		switch r.principal.kind {
		case jString:
			if r.principal.str != "*" {
				return r, false
			}
		case jObject:
			for _, f := range r.principal.obj {
				if _, ok := stringList(f.val); !ok {
					return r, false
				}
			}
		default:
			return r, false
		}
	}

	if c := s.field("Condition"); c != nil {
		if c.kind != jObject {
			return r, false
		}
		for _, opf := range c.obj {
			block := opf.val
			if block.kind != jObject {
				return r, false
			}
			for _, kf := range block.obj {
				if _, ok := scalarList(kf.val); !ok {
					return r, false
				}
			}
			if len(block.obj) == 0 {
				continue // an empty block constrains nothing; AWS accepts it
			}
			spec, ok := parseOperator(opf.key)
			if !ok {
				return r, false
			}
			for _, kf := range block.obj {
				vals, _ := scalarList(kf.val)
				r.conds = append(r.conds, rawCond{spec: spec, key: kf.key, vals: vals})
			}
		}
	}
	return r, true
}

// exclusiveList reads whichever of key and notKey is present (not both) as a
// string or a list of strings.
func exclusiveList(s *jval, key, notKey string) (string, []string, bool) {
	v, nv := s.field(key), s.field(notKey)
	switch {
	case v != nil && nv != nil:
		return "", nil, false
	case v != nil:
		l, ok := stringList(v)
		return key, l, ok
	case nv != nil:
		l, ok := stringList(nv)
		return notKey, l, ok
	}
	return "", nil, true
}

func stringList(v *jval) ([]string, bool) {
	switch v.kind {
	case jString:
		return []string{v.str}, true
	case jArray:
		out := make([]string, 0, len(v.arr))
		for _, e := range v.arr {
			if e.kind != jString {
				return nil, false
			}
			out = append(out, e.str)
		}
		return out, true
	}
	return nil, false
}

// scalarList is stringList that also takes numbers and booleans (condition
// values such as {"aws:SecureTransport": false}), as their JSON text.
func scalarList(v *jval) ([]string, bool) {
	if s, ok := v.scalarText(); ok {
		return []string{s}, true
	}
	if v.kind != jArray {
		return nil, false
	}
	out := make([]string, 0, len(v.arr))
	for _, e := range v.arr {
		s, ok := e.scalarText()
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

func onlyKeys(obj *jval, allowed []string) bool {
next:
	for _, f := range obj.obj {
		for _, k := range allowed {
			if f.key == k {
				continue next
			}
		}
		return false
	}
	return true
}

func compilePrincipal(v *jval) (principalSet, string) {
	var ps principalSet
	if v.kind == jString { // "*", checked by the syntax pass
		ps.any = true
		return ps, ""
	}
	n := 0
	for _, f := range v.obj {
		vals, _ := stringList(f.val)
		for _, s := range vals {
			n++
			invalid := "Invalid principal in policy: \"" + f.key + "\":\"" + s + "\""
			switch f.key {
			case "AWS":
				if s == "*" {
					ps.any = true
					continue
				}
				ap, ok := parseAWSPrincipal(s)
				if !ok {
					return ps, invalid
				}
				ps.aws = append(ps.aws, ap)
			case "Service", "Federated":
				if s == "" || strings.ContainsAny(s, "*?") {
					return ps, invalid
				}
				if f.key == "Federated" {
					ps.federated = append(ps.federated, s)
				}
			default:
				return ps, invalid
			}
		}
	}
	if n == 0 {
		return ps, msgNoPrincipals
	}
	return ps, ""
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
			return false
		}
	}
	return true
}

// resourceFormatError returns AWS's message for a Resource that is neither
// "*" nor an ARN of the aws partition, or "".
func resourceFormatError(r string) string {
	if r == "*" {
		return ""
	}
	_, after, ok := strings.Cut(r, ":")
	if !ok {
		return fmt.Sprintf("Resource %s must be in ARN format or \"*\".", r)
	}
	part, rest, hasRest := strings.Cut(after, ":")
	if part != "aws" {
		rem := strings.SplitN(rest, ":", 4)
		a1, a2, a3, a4 := "*", "*", "*", "*"
		if rem[0] != "" || len(rem) > 1 {
			a1 = rem[0]
		}
		if len(rem) > 1 {
			a2 = rem[1]
		}
		if len(rem) > 2 {
			a3 = rem[2]
		}
		if len(rem) > 3 {
			a4 = rem[3]
		}
		return fmt.Sprintf("Partition \"%s\" is not valid for resource \"arn:%s:%s:%s:%s:%s\".", part, part, a1, a2, a3, a4)
	}
	if !hasRest {
		return msgResourceVendor
	}
	return ""
}

// resourceLegacyOK: an ARN with "::" must have all six parts, and the
// service must not be empty.
func resourceLegacyOK(r string) bool {
	if r == "*" {
		return true
	}
	if strings.Count(r, ":") < 5 && strings.Contains(r, "::") {
		return false
	}
	parts := strings.SplitN(r, ":", 4)
	return len(parts) >= 3 && parts[2] != ""
}

// resourcePartOffset is the byte offset just after the fifth colon (where the
// resource part of an ARN starts), or len(r)+1 when there is none.
func resourcePartOffset(r string) int {
	n := 0
	for i := 0; i < len(r); i++ {
		if r[i] == ':' {
			n++
			if n == 5 {
				return i + 1
			}
		}
	}
	return len(r) + 1
}

func actionError(a string) string {
	if a == "*" {
		return ""
	}
	vendor, _, ok := strings.Cut(a, ":")
	switch {
	case !ok || vendor == "":
		return msgVendor
	case strings.Count(a, ":") > 1:
		return msgOneColon
	case vendor == "*":
		return ""
	}
	for i := 0; i < len(vendor); i++ {
		c := vendor[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || c == '-' || c == '.') {
			return fmt.Sprintf("Vendor %s is not valid", vendor)
		}
	}
	return ""
}
