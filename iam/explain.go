package iam

import (
	"sort"
	"strings"
	"unicode/utf8"
)

// Position is a place in a policy document: 1-based line and 1-based
// column (in characters), as the IAM policy simulator reports statements.
type Position struct {
	Line   int
	Column int
}

// Match is one statement behind a decision.
type Match struct {
	// Policy is the index of the statement's policy in the list given to
	// Explain; Statement its index within that policy.
	Policy    int
	Statement int
	Sid       string
	Deny      bool
	// Start is the statement's opening brace, End the place just past
	// its closing brace (as the IAM policy simulator reports them).
	Start, End Position
}

// Explain decides like Evaluate and also returns the statements behind the
// decision: for ExplicitDeny every Deny statement that applies, for Allow
// every Allow statement that applies, for ImplicitDeny none.
func Explain(req *Request, policies ...*Policy) (Decision, []Match) {
	if req == nil {
		return ImplicitDeny, nil
	}
	var allows, denies []Match
	for pi, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.stmts {
			st := &p.stmts[i]
			if !st.applies(req) {
				continue
			}
			m := Match{Policy: pi, Statement: i, Sid: st.sid, Deny: st.deny,
				Start: p.position(st.start), End: p.position(st.end)}
			if st.deny {
				denies = append(denies, m)
			} else {
				allows = append(allows, m)
			}
		}
	}
	switch {
	case len(denies) > 0:
		return ExplicitDeny, denies
	case len(allows) > 0:
		return Allow, allows
	}
	return ImplicitDeny, nil
}

// position converts a byte offset of the document into line and column.
func (p *Policy) position(off int) Position {
	if off < 0 || off > len(p.Document) {
		return Position{}
	}
	before := p.Document[:off]
	line := 1 + strings.Count(before, "\n")
	lineStart := strings.LastIndexByte(before, '\n') + 1
	return Position{Line: line, Column: 1 + utf8.RuneCountInString(before[lineStart:])}
}

// MissingKeys lists, sorted, the condition keys that the statements
// applying to req's action and resource test but req's keys lack: the
// values a simulation would need to decide those conditions for real.
func MissingKeys(req *Request, policies ...*Policy) []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range policies {
		if p == nil {
			continue
		}
		for i := range p.stmts {
			st := &p.stmts[i]
			if !st.matchesActionResource(req) {
				continue
			}
			for j := range st.conds {
				c := &st.conds[j]
				if _, present := lookup(req.keys(), c.key, c.keyLower); present || seen[c.keyLower] {
					continue
				}
				seen[c.keyLower] = true
				out = append(out, c.key)
			}
		}
	}
	sort.Strings(out)
	return out
}

// matchesActionResource: the statement's Action and Resource elements
// (not its principal or conditions) cover the request.
func (st *statement) matchesActionResource(req *Request) bool {
	return st.coversAction(req) && st.coversResource(req)
}
