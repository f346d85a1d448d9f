package awsapi

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"strconv"

	"github.com/connectfed/connectfed"
	"github.com/connectfed/connectfed/iam"
	"github.com/connectfed/connectfed/identity"
)

// The IAM policy simulator: SimulatePrincipalPolicy and
// SimulateCustomPolicy, decided by the same evaluator as real requests.

type positionXML struct {
	Line   int
	Column int
}

type statementXML struct {
	SourcePolicyId   string
	SourcePolicyType string
	StartPosition    positionXML
	EndPosition      positionXML
}

type evaluationResultXML struct {
	EvalActionName                    string
	EvalResourceName                  string
	EvalDecision                      string
	MatchedStatements                 []statementXML `xml:"MatchedStatements>member"`
	MissingContextValues              []string       `xml:"MissingContextValues>member"`
	PermissionsBoundaryDecisionDetail *struct {
		AllowedByPermissionsBoundary bool
	} `xml:",omitempty"`
}

var evalDecision = map[iam.Decision]string{iam.Allow: "allowed", iam.ExplicitDeny: "explicitDeny", iam.ImplicitDeny: "implicitDeny"}

var contextKeyTypes = []string{"string", "stringList", "numeric", "numericList", "boolean", "booleanList", "ip", "ipList", "binary", "binaryList", "date", "dateList"}

// simulationInputs reads what both operations share: the policy list,
// actions, resources, context entries and paging.
func simulationInputs(v *violations, p url.Values, policiesRequired bool) (docs, boundaries, actions, resources []string, ctx map[string][]string, maxItems int, marker string) {
	docs = queryList(p, "PolicyInputList", "")
	if policiesRequired && !p.Has("PolicyInputList") && len(docs) == 0 {
		v.required("policyInputList", false)
	}
	for i, d := range docs {
		v.length(fmt.Sprintf("policyInputList.%d.member", i+1), d, true, 1, 131072)
	}
	boundaries = queryList(p, "PermissionsBoundaryPolicyInputList", "")
	for i, d := range boundaries {
		v.length(fmt.Sprintf("permissionsBoundaryPolicyInputList.%d.member", i+1), d, true, 1, 131072)
	}
	if p.Has("ResourcePolicy") {
		v.length("resourcePolicy", p.Get("ResourcePolicy"), true, 1, 131072)
	}
	if p.Has("CallerArn") {
		v.length("callerArn", p.Get("CallerArn"), false, 1, 2048)
	}
	actions = queryList(p, "ActionNames", "")
	if len(actions) == 0 {
		v.required("actionNames", false)
	}
	for i, a := range actions {
		v.length(fmt.Sprintf("actionNames.%d.member", i+1), a, false, 3, 128)
	}
	resources = queryList(p, "ResourceArns", "")
	for i, r := range resources {
		v.length(fmt.Sprintf("resourceArns.%d.member", i+1), r, false, 1, 2048)
	}
	ctx = map[string][]string{}
	for i := 1; ; i++ {
		pre := "ContextEntries.member." + strconv.Itoa(i)
		name := p.Get(pre + ".ContextKeyName")
		if !p.Has(pre + ".ContextKeyName") {
			break
		}
		v.length(fmt.Sprintf("contextEntries.%d.member.contextKeyName", i), name, false, 5, 256)
		if p.Has(pre + ".ContextKeyType") {
			v.enum(fmt.Sprintf("contextEntries.%d.member.contextKeyType", i), p.Get(pre+".ContextKeyType"), contextKeyTypes...)
		}
		ctx[name] = append(ctx[name], queryList(p, pre+".ContextKeyValues", "")...)
	}
	maxItems, marker = iamPage(v, p)
	return
}

func (s *Server) iamSimulatePrincipalPolicy(c *call, p url.Values) (any, error) {
	v := iamValidation()
	source := p.Get("PolicySourceArn")
	v.required("policySourceArn", p.Has("PolicySourceArn"))
	v.length("policySourceArn", source, false, 20, 2048)
	docs, bounds, actions, resources, ctx, maxItems, marker := simulationInputs(v, p, false)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := noResourcePolicy(p); err != nil {
		return nil, err
	}
	if err := s.iamAuthorize(c, source); err != nil {
		return nil, err
	}
	policies, keys, err := s.cfg.Identity.PrincipalPolicies(c.ctx, c.principal.AccountID, source)
	if err != nil {
		return nil, err
	}
	if p.Has("CallerArn") {
		if keys, err = s.cfg.Identity.CallerKeys(c.ctx, c.principal.AccountID, p.Get("CallerArn")); err != nil {
			return nil, err
		}
	}
	for k, vals := range keys {
		if _, given := ctx[k]; !given {
			ctx[k] = vals
		}
	}
	extra, err := simulationPolicies("PolicyInputList", docs)
	if err != nil {
		return nil, err
	}
	boundaries, err := simulationPolicies("PermissionsBoundaryPolicyInputList", bounds)
	if err != nil {
		return nil, err
	}
	return s.simulate(c, append(policies, extra...), boundaries, actions, resources, ctx, maxItems, marker)
}

func (s *Server) iamSimulateCustomPolicy(c *call, p url.Values) (any, error) {
	v := iamValidation()
	docs, bounds, actions, resources, ctx, maxItems, marker := simulationInputs(v, p, true)
	if err := v.err(); err != nil {
		return nil, err
	}
	if err := noResourcePolicy(p); err != nil {
		return nil, err
	}
	if err := s.iamAuthorize(c, "*"); err != nil {
		return nil, err
	}
	policies, err := simulationPolicies("PolicyInputList", docs)
	if err != nil {
		return nil, err
	}
	boundaries, err := simulationPolicies("PermissionsBoundaryPolicyInputList", bounds)
	if err != nil {
		return nil, err
	}
	if p.Has("CallerArn") {
		keys, err := s.cfg.Identity.CallerKeys(c.ctx, c.principal.AccountID, p.Get("CallerArn"))
		if err != nil {
			return nil, err
		}
		for k, vals := range keys {
			if _, given := ctx[k]; !given {
				ctx[k] = vals
			}
		}
	}
	return s.simulate(c, policies, boundaries, actions, resources, ctx, maxItems, marker)
}

// noResourcePolicy refuses ResourcePolicy: connectfed has no resource-based
// policies to simulate, and ignoring one would give a wrong answer.
func noResourcePolicy(p url.Values) error {
	if p.Has("ResourcePolicy") {
		return connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidInput, "connectfed does not simulate resource-based policies (ResourcePolicy).")
	}
	return nil
}

func simulationPolicies(list string, docs []string) ([]identity.SimPolicy, error) {
	out := make([]identity.SimPolicy, 0, len(docs))
	for i, d := range docs {
		pol, err := identity.ParseSimulationPolicy(d)
		if err != nil {
			return nil, err
		}
		out = append(out, identity.SimPolicy{ID: list + "." + strconv.Itoa(i+1), Type: "none", Policy: pol})
	}
	return out, nil
}

func (s *Server) simulate(c *call, policies, boundaries []identity.SimPolicy, actions, resources []string, ctx map[string][]string, maxItems int, marker string) (any, error) {
	results := identity.Simulate(policies, boundaries, actions, resources, ctx)
	listing := "simulate\x00" + c.op + "\x00" + c.principal.AccountID
	start := 0
	if marker != "" {
		last, err := s.pager.cursor(listing, marker, connectfed.InvalidInput)
		if err != nil {
			return nil, err
		}
		n, err := strconv.Atoi(last)
		if err != nil || n < 0 || n > len(results) {
			return nil, connectfed.TypedErrorf(connectfed.EINVALID, connectfed.InvalidInput, "The marker is not valid.")
		}
		start = n
	}
	end := min(start+maxItems, len(results))
	members := make([]evaluationResultXML, 0, end-start)
	for _, r := range results[start:end] {
		e := evaluationResultXML{EvalActionName: r.Action, EvalResourceName: r.Resource, EvalDecision: evalDecision[r.Decision],
			MatchedStatements: []statementXML{}, MissingContextValues: append([]string{}, r.Missing...)}
		if r.BoundaryAllowed != nil {
			e.PermissionsBoundaryDecisionDetail = &struct{ AllowedByPermissionsBoundary bool }{*r.BoundaryAllowed}
		}
		for _, m := range r.Matched {
			e.MatchedStatements = append(e.MatchedStatements, statementXML{SourcePolicyId: m.PolicyID, SourcePolicyType: m.PolicyType,
				StartPosition: positionXML(m.Start), EndPosition: positionXML(m.End)})
		}
		members = append(members, e)
	}
	out := struct {
		XMLName           xml.Name
		EvaluationResults []evaluationResultXML `xml:"EvaluationResults>member"`
		IsTruncated       bool
		Marker            string `xml:",omitempty"`
	}{XMLName: xml.Name{Local: c.op + "Result"}, EvaluationResults: members}
	if end < len(results) {
		out.IsTruncated = true
		out.Marker = s.pager.token(listing, strconv.Itoa(end))
	}
	return respond(c, out), nil
}
